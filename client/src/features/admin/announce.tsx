import { LIMITS } from '@commonroom/protocol';
import { useEffect, useState, type FormEvent } from 'react';
import { useEngine, useEngineVersion } from '../../hooks/engine-context.tsx';
import { byCodeUnit } from '../../ui/compare.ts';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import '../member-picker.css';

/**
 * One announcement to several channels at once (issue 13 §3). A message is a Yjs document its author's
 * device writes (docs/PROTOCOL.md), so this sends the same text from this device to each chosen channel,
 * one ordinary message each: offline, they wait in the outbox like any other and go when the connection
 * returns; the server checks each one as it checks any post. Offered: the channels one may post in now.
 */
export function Announce({ onClose, onSent }: { onClose: () => void; onSent: (text: string) => void }) {
  const engine = useEngine();
  useEngineVersion();
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The list as the server has it now (a channel just created here is in it), when online.
  useEffect(() => void engine.refreshConversations().catch(() => undefined), [engine]);
  const channels = engine
    .conversations()
    .filter((c) => c.kind !== 'dm' && c.isMember && c.canPost && !c.archived)
    .sort((a, b) => byCodeUnit(a.name ?? '', b.name ?? ''));
  const toggle = (id: string, on: boolean) =>
    setPicked((old) => {
      const next = new Set(old);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = text.trim();
    if (picked.size === 0) return setError('Choose at least one channel.');
    if (body === '') return setError('Write the announcement first.');
    setBusy(true);
    setError(null);
    const sent: string[] = [];
    try {
      for (const c of channels) {
        if (!picked.has(c.id)) continue;
        await engine.send(c.id, body);
        sent.push(`#${c.name ?? ''}`);
      }
      const waiting = engine.status().connection !== 'online';
      onSent(
        `Posted to ${sent.length} ${sent.length === 1 ? 'channel' : 'channels'}: ${sent.join(', ')}.` +
          (waiting ? ' You are offline: they will be sent when the connection returns.' : ''),
      );
    } catch {
      setError(
        sent.length > 0
          ? `Posted to ${sent.join(', ')} only: this device could not store the rest. Try those again.`
          : 'This device could not store the announcement. Try again.',
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Post to several channels" onClose={onClose}>
      <form className="admin-form" onSubmit={(e) => void submit(e)}>
        <fieldset className="announce-channels">
          <legend>Channels ({picked.size} chosen)</legend>
          {channels.length === 0 ? (
            <p className="muted">You are not in any channel you can post in.</p>
          ) : (
            <>
              <label className="picker-row">
                <input
                  type="checkbox"
                  checked={picked.size === channels.length}
                  onChange={(e) => setPicked(new Set(e.target.checked ? channels.map((c) => c.id) : []))}
                />
                <span className="picker-name">All channels I can post in</span>
              </label>
              {channels.map((c) => (
                <label key={c.id} className="picker-row">
                  <input
                    type="checkbox"
                    checked={picked.has(c.id)}
                    onChange={(e) => toggle(c.id, e.target.checked)}
                  />
                  <span className="picker-name">#{c.name}</span>
                  <span className="muted">
                    {c.memberCount.toLocaleString('en-GB')} {c.memberCount === 1 ? 'member' : 'members'}
                  </span>
                </label>
              ))}
            </>
          )}
        </fieldset>
        <label>
          Message
          <textarea
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={5}
            maxLength={LIMITS.maxMessageChars}
            aria-describedby="announce-hint"
          />
          <span id="announce-hint" className="hint">
            Posted by you in each channel, as a normal message. Only channels you are in and may post in are
            listed.
          </span>
        </label>
        <ErrorText message={error} />
        <div className="dialog-buttons">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Posting…' : picked.size > 1 ? `Post to ${picked.size} channels` : 'Post'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
