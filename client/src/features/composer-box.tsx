import { mentionHandle } from '@commonroom/model';
import { isStaffRole, LIMITS, type PublicUser } from '@commonroom/protocol';
import { Suspense, useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { lazy } from '../ui/lazy.tsx';
import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { byLocale } from '../ui/compare.ts';
import { loadDraft, saveDraft } from '../ui/drafts.ts';
import { broadcastProblem } from '../ui/broadcast-rule.ts';
import { FormattingHint } from './formatting-hint.tsx';
import { ErrorText } from '../ui/error-text.tsx';
import { messageSent, useOfferDue } from '../push/push-offer.ts';
import { AttachButtons, StagedChips } from './attachments/staged-files.tsx';
import { useStagedFiles } from './attachments/use-staged-files.ts';
import '../ui/unread-mentions.css';
import './attachments/attachments.css';
import { SmileIcon } from '../ui/icons.tsx';

const EmojiPicker = lazy(async () => ({ default: (await import('./emoji-picker.tsx')).EmojiPicker }));
// Offered only online (turning notifications on needs the server); a chunk that cannot load shows nothing
// rather than taking the composer down with it.
const PushOfferBar = lazy(async () => {
  try {
    return { default: (await import('../push/push-offer-bar.tsx')).PushOfferBar };
  } catch {
    return { default: () => null };
  }
});

/** What the person is typing after an `@` just before the caret (the same rules as findMentions). */
const MENTION_QUERY = /(^|[^\p{L}\p{M}\p{N}_@.])@([\p{L}\p{M}\p{N}_.-]*)$/u;

type Suggestion = { id: string; handle: string; label: string; note: string };

/** Channel members fetched from the server, per conversation, for this page's life (members change rarely). */
const channelMembers = new Map<string, PublicUser[]>();

export type ComposerProps = {
  conversationId: string;
  placeholder: string;
  /** The thread's parent message key: this composer replies in the thread. */
  parent?: string;
  onSent?: () => void;
  autoFocus?: boolean;
};

/**
 * Multi-line; Enter sends, Shift+Enter starts a new line. The box clears at once and the text is saved on
 * this device, so nothing typed is lost when offline (it comes back if it could not be saved). An emoji
 * picker, and @mention suggestions (the conversation's members first) chosen by keyboard or pointer. With
 * `parent` it replies in that thread, optionally also to the channel.
 */
export function ComposerBox({ conversationId, placeholder, parent, onSent, autoFocus }: ComposerProps) {
  const engine = useEngine();
  useEngineVersion();
  const id = useId();
  // Per person too: a shared computer must not show one student's draft to the next.
  const draftKey = `${engine.me()?.id ?? ''}/${conversationId}${parent ? `/${parent}` : ''}`;
  const [text, setText] = useState(() => loadDraft(draftKey));
  const [caret, setCaret] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [emojiOpen, setEmojiOpen] = useState(false);
  const [alsoChannel, setAlsoChannel] = useState(false);
  const [active, setActive] = useState(0);
  /** Where the `@` of a suggestion list closed with Escape is: it stays closed for that mention. */
  const [dismissedAt, setDismissedAt] = useState(-1);
  const [, setMembersLoaded] = useState(0);
  const box = useRef<HTMLTextAreaElement>(null);
  const nextCaret = useRef<number | null>(null);
  const lastTyping = useRef(0);
  const files = useStagedFiles();
  // Set while a message's files are being written to the device: a second tap on Send is ignored.
  const saving = useRef(false);
  const [busy, setBusy] = useState(false);
  const me = engine.me();
  const c = engine.conversation(conversationId);

  const found = MENTION_QUERY.exec(text.slice(0, caret));
  const query = found?.[2];
  const at = found ? caret - (query?.length ?? 0) - 1 : -1;
  const open = query !== undefined && at !== dismissedAt;

  // Channel members come from the server once per channel, when someone first types `@` there.
  const isChannel = c !== undefined && c.kind !== 'dm';
  useEffect(() => {
    if (!open || !isChannel || channelMembers.has(conversationId)) return;
    let alive = true;
    engine
      .members(conversationId)
      .then((list) => {
        channelMembers.set(conversationId, list);
        if (alive) setMembersLoaded((n) => n + 1);
      })
      .catch(() => undefined); // Offline: the directory stands in.
    return () => {
      alive = false;
    };
  }, [open, isChannel, conversationId, engine]);

  const suggestions: Suggestion[] = [];
  if (open && c) {
    const q = query.normalize('NFC').toLowerCase();
    const known = c.kind === 'dm' ? c.dmMembers : channelMembers.get(conversationId);
    const memberIds = new Set(known?.map((u) => u.id));
    // People who wrote or read here are members too, even offline.
    if (c.kind !== 'dm')
      for (const uid of engine.view(conversationId).state.readSeqs.keys()) memberIds.add(uid);
    const people = c.kind === 'dm' ? c.dmMembers : engine.directory();
    const matches = people.filter((u) => {
      if (u.id === me?.id || !u.active) return false;
      const handle = mentionHandle(u).toLowerCase();
      return (
        handle.startsWith(q) ||
        u.displayName
          .normalize('NFC')
          .toLowerCase()
          .split(/\s+/)
          .some((w) => w.startsWith(q))
      );
    });
    matches.sort(
      (a, b) =>
        Number(memberIds.has(b.id)) - Number(memberIds.has(a.id)) || byLocale(a.displayName, b.displayName),
    );
    for (const u of matches.slice(0, 8))
      suggestions.push({
        id: u.id,
        handle: mentionHandle(u),
        label: u.displayName,
        note: known && !memberIds.has(u.id) ? 'not in this channel' : '',
      });
    if (isChannel && me && isStaffRole(me.role))
      for (const [word, note] of [
        ['channel', 'everyone in this channel'],
        ['here', 'everyone here now'],
      ] as const)
        if (word.startsWith(q)) suggestions.push({ id: word, handle: word, label: `@${word}`, note });
  }
  const shown = suggestions.length > 0;
  const current = Math.min(active, suggestions.length - 1);
  const optionId = (i: number) => `${id}-option-${i}`;

  useEffect(() => {
    saveDraft(draftKey, text);
  }, [draftKey, text]);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && nextCaret.current !== null) {
      el.setSelectionRange(nextCaret.current, nextCaret.current);
      setCaret(nextCaret.current);
      nextCaret.current = null;
    }
  }, [text]);

  const replace = (start: number, end: number, s: string) => {
    nextCaret.current = start + s.length;
    setText(text.slice(0, start) + s + text.slice(end));
    box.current?.focus();
  };

  const insert = (s: string) => {
    const el = box.current;
    replace(el?.selectionStart ?? text.length, el?.selectionEnd ?? text.length, s);
  };

  const pick = (s: Suggestion) => {
    replace(at, caret, `@${s.handle} `);
    setActive(0);
  };

  const send = async () => {
    const body = text.trim();
    if (files.staged.length > 0) return sendWithFiles(body);
    if (!body) return;
    if (body.length > LIMITS.maxMessageChars) {
      setError(`Messages can be up to ${LIMITS.maxMessageChars.toLocaleString()} characters.`);
      return;
    }
    const refused = broadcastProblem(body, me?.role);
    if (refused) {
      setError(refused);
      return;
    }
    // Clear at once, so whatever is typed next is never wiped by this send finishing; put the text back if
    // it could not be saved.
    setText('');
    setCaret(0);
    setError(null);
    try {
      await engine.send(conversationId, body, parent ? { parent, alsoChannel } : {});
      setAlsoChannel(false);
      messageSent();
      onSent?.();
    } catch {
      setText((now) => (now ? `${body}\n${now}` : body));
      setError('This message could not be saved on this device. Please try again.');
    }
  };

  /**
   * A message with files goes to the upload queue: saved on this device in one write (text, files and the
   * message's id), then the box clears; it is sent once its files are uploaded (attachments/upload-queue.ts).
   */
  const sendWithFiles = async (caption: string) => {
    if (caption.length > LIMITS.maxMessageChars)
      return setError(`Messages can be up to ${LIMITS.maxMessageChars.toLocaleString()} characters.`);
    const refused = caption ? broadcastProblem(caption, me?.role) : null;
    if (refused) return setError(refused);
    if (saving.current) return;
    saving.current = true;
    setBusy(true);
    // These files and this text go; whatever is typed or added while they are written stays for the next.
    const picked = files.staged;
    setText('');
    setCaret(0);
    setError(null);
    try {
      const { attachmentsFor } = await import('../attachments/attachments.ts');
      await attachmentsFor(engine).queue.add({
        conversationId,
        caption,
        files: picked.map((s) => ({ blob: s.file, name: s.file.name, type: s.file.type })),
        ...(parent ? { parent, alsoChannel } : {}),
      });
    } catch {
      setText((now) => (now ? `${caption}\n${now}` : caption));
      return setError('These files could not be saved on this device. Please try again.');
    } finally {
      saving.current = false;
      setBusy(false);
    }
    files.drop(picked.map((s) => s.key));
    setAlsoChannel(false);
    messageSent();
    onSent?.();
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.nativeEvent.isComposing) return;
    if (shown) {
      const n = suggestions.length;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setActive((current + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
        return;
      }
      const chosen = suggestions[current];
      if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && chosen) {
        e.preventDefault();
        pick(chosen);
        return;
      }
      if (e.key === 'Escape') {
        // Closes the list only; the thread panel's Escape sees it was handled.
        e.preventDefault();
        setDismissedAt(at);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      void send();
    }
  };

  const [offerDue, closeOffer] = useOfferDue();
  const listId = `${id}-people`;
  const inputId = `${id}-input`;
  return (
    <>
      {offerDue && !parent && (
        <Suspense fallback={null}>
          <PushOfferBar onClose={closeOffer} />
        </Suspense>
      )}
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
        onDragOver={(e) => {
          if (e.dataTransfer.types.includes('Files')) e.preventDefault();
        }}
        onDrop={(e) => {
          if (e.dataTransfer.files.length === 0) return;
          e.preventDefault();
          files.add([...e.dataTransfer.files]);
        }}
      >
        <StagedChips files={files} />
        {shown && (
          <ul className="suggestions" id={listId} role="listbox" aria-label="People to mention">
            {suggestions.map((s, i) => (
              <li
                key={s.id}
                id={optionId(i)}
                role="option"
                aria-selected={i === current}
                className={i === current ? 'suggestion active' : 'suggestion'}
                // Keep the focus (and the caret) in the box.
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => pick(s)}
              >
                {s.label} {s.id !== s.handle && <span className="muted">@{s.handle}</span>}
                {s.note && <span className="muted"> · {s.note}</span>}
              </li>
            ))}
          </ul>
        )}
        <p className="visually-hidden" aria-live="polite">
          {shown
            ? `${suggestions.length} ${suggestions.length === 1 ? 'suggestion' : 'suggestions'}. Up and down arrows to move, Enter to choose, Escape to close.`
            : ''}
        </p>
        <label className="visually-hidden" htmlFor={inputId}>
          {parent ? 'Reply' : 'Message'}
        </label>
        <textarea
          id={inputId}
          ref={box}
          rows={2}
          value={text}
          placeholder={placeholder}
          autoFocus={autoFocus}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={shown}
          aria-controls={shown ? listId : undefined}
          aria-activedescendant={shown ? optionId(current) : undefined}
          onChange={(e) => {
            setText(e.target.value);
            setCaret(e.target.selectionStart);
            setActive(0);
            const t = Date.now();
            if (t - lastTyping.current > 3000) {
              lastTyping.current = t;
              engine.typing(conversationId, parent ?? '');
            }
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onBlur={() => setDismissedAt(at)}
          onFocus={() => setDismissedAt(-1)}
          onKeyDown={onKey}
          onPaste={(e) => {
            // A pasted screenshot or copied file is attached; pasted text stays text.
            if (e.clipboardData.files.length === 0) return;
            e.preventDefault();
            files.add([...e.clipboardData.files]);
          }}
        />
        <div className="composer-tools">
          <AttachButtons files={files} />
          <button
            type="button"
            className="icon-button"
            aria-label="Insert emoji"
            aria-expanded={emojiOpen}
            onClick={() => setEmojiOpen(!emojiOpen)}
          >
            <SmileIcon size={22} />
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label="Mention someone"
            onClick={() => insert(/(^|\s)$/.test(text.slice(0, caret)) ? '@' : ' @')}
          >
            @
          </button>
          <FormattingHint />
          {parent && (
            <label className="also-channel">
              <input
                type="checkbox"
                checked={alsoChannel}
                onChange={(e) => setAlsoChannel(e.target.checked)}
              />{' '}
              Also send to {c?.kind === 'dm' ? 'the conversation' : 'channel'}
            </label>
          )}
          <button
            type="submit"
            className="primary send"
            disabled={busy || (text.trim().length === 0 && files.staged.length === 0)}
          >
            Send
          </button>
        </div>
        {emojiOpen && (
          <Suspense fallback={null}>
            <EmojiPicker
              onClose={() => {
                setEmojiOpen(false);
                box.current?.focus();
              }}
              onPick={(e) => {
                insert(e);
                setEmojiOpen(false);
              }}
            />
          </Suspense>
        )}
        <ErrorText message={error ?? files.problem} />
      </form>
    </>
  );
}
