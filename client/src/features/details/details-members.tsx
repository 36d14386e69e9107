import { mayMute, muteEnds, MuteList, OkReply, type Mute, type PublicUser } from '@commonroom/protocol';
import { Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { lazy } from '../../ui/lazy.tsx';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { roleLabel } from '../../ui/format.ts';
import { MemberPicker } from '../member-picker.tsx';
import { PresenceDot, PresenceLine } from '../people.tsx';
import { PersonName } from '../people/person-name.tsx';

const MuteDialog = lazy(async () => ({ default: (await import('../mute-dialog.tsx')).MuteDialog }));

const offline = 'The member list needs a connection.';
const problem = (e: unknown): string =>
  e instanceof Error && e.name === 'ApiError' ? e.message : 'You need to be online to change who is in here.';

/**
 * The people in a conversation with their roles (members come from the server: online only); a name opens
 * the person's profile card. Its moderators (staff in it: a tutor in a channel they created or moderate, T4)
 * add, remove and mute people here; the server checks that again on every change, so a student is refused
 * even if the buttons were shown.
 */
export function DetailsMembers({ conversationId }: { conversationId: string }) {
  const engine = useEngine();
  const c = engine.conversation(conversationId);
  const [members, setMembers] = useState<PublicUser[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  /**
   * Where focus goes once the list is drawn again (issue 18): a row's buttons come and go under Remove and
   * Keep, and a removed row goes, so focus would fall to the page. A member's id focuses their row (its
   * Remove, else their name); 'list' the list itself.
   */
  const [focusTo, setFocusTo] = useState<string | null>(null);
  const list = useRef<HTMLUListElement>(null);
  const load = useCallback(
    () =>
      engine
        .members(conversationId)
        .then(setMembers)
        .catch(() => setError(offline)),
    [engine, conversationId],
  );
  useEffect(() => void load(), [load]);
  const [mutes, setMutes] = useState<Mute[]>([]);
  const [muting, setMuting] = useState<PublicUser | null>(null);
  const moderates = !!c && c.canModerate && c.kind !== 'dm';
  // Who is muted here (issue 14 §3), for the channel's moderators: each row says so and offers to lift it.
  const loadMutes = useCallback(
    () =>
      moderates
        ? engine.api
            .request('GET', `/api/mutes?conversationId=${conversationId}`, MuteList)
            .then((r) => setMutes(r.mutes))
            .catch(() => undefined)
        : Promise.resolve(),
    [engine, conversationId, moderates],
  );
  useEffect(() => void loadMutes(), [loadMutes]);
  useEffect(() => {
    if (focusTo === null || !list.current) return;
    const row = [...list.current.querySelectorAll<HTMLLIElement>('li[data-member]')].find(
      (li) => li.dataset.member === focusTo,
    );
    const target =
      row?.querySelector<HTMLButtonElement>('.member-row-remove') ?? row?.querySelector('button');
    (target ?? list.current).focus();
    setFocusTo(null);
  }, [focusTo, members]);
  if (!c) return null;
  const manages = c.canModerate && c.kind !== 'dm' && c.name !== 'announcements';
  const me = engine.me()?.id;
  const myRole = engine.me()?.role ?? 'student';

  /** Runs a change; true when the server took it. */
  const change = async (run: () => Promise<unknown>, said: string): Promise<boolean> => {
    setError(null);
    setDone(null);
    try {
      await run();
    } catch (e) {
      setError(problem(e));
      return false;
    }
    setDone(said);
    // Done on the server: a list that then cannot be read again is no failure of the change.
    await Promise.all([load(), engine.refreshConversations()]).catch(() => undefined);
    return true;
  };
  const lift = (u: PublicUser, m: Mute) =>
    change(
      () => engine.api.request('POST', `/api/mutes/${m.id}/lift`, OkReply, {}),
      `${u.displayName} can post in #${c.name ?? ''} again.`,
    ).then(loadMutes);
  const add = (people: PublicUser[]) =>
    change(
      () =>
        engine.api.request('POST', `/api/conversations/${conversationId}/members`, OkReply, {
          userIds: people.map((u) => u.id),
        }),
      `Added ${people.map((u) => u.displayName).join(', ')}.`,
    ).then(() => undefined);
  const remove = (u: PublicUser) => {
    // The row after it (or before it, at the end) takes focus once it is gone.
    const at = members?.findIndex((x) => x.id === u.id) ?? -1;
    const next = members?.[at + 1] ?? members?.[at - 1];
    return change(
      () => engine.api.request('DELETE', `/api/conversations/${conversationId}/members/${u.id}`, OkReply),
      `${u.displayName} was removed.`,
    ).then((removed) => {
      setRemoving(null);
      setFocusTo(removed ? (next?.id ?? 'list') : u.id);
    });
  };

  const muteButton = (u: PublicUser) => {
    if (!moderates || u.id === me || !mayMute(myRole, u.role)) return null;
    const m = mutes.find((x) => x.userId === u.id && x.conversationId === c.id);
    return m ? (
      <button type="button" onClick={() => void lift(u, m)} aria-label={`Lift ${u.displayName}'s mute`}>
        Lift mute
      </button>
    ) : (
      <button type="button" onClick={() => setMuting(u)} aria-label={`Mute ${u.displayName}…`}>
        Mute
      </button>
    );
  };
  const removeButton = (u: PublicUser) => {
    if (!manages || u.id === me) return null;
    return removing === u.id ? (
      <span className="member-row-remove">
        <button type="button" className="danger" onClick={() => void remove(u)} autoFocus>
          Remove {u.displayName}
        </button>{' '}
        <button
          type="button"
          onClick={() => {
            setRemoving(null);
            setFocusTo(u.id);
          }}
        >
          Keep
        </button>
      </span>
    ) : (
      <button
        type="button"
        className="member-row-remove"
        aria-label={`Remove ${u.displayName}…`}
        onClick={() => setRemoving(u.id)}
      >
        Remove
      </button>
    );
  };

  return (
    <>
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      <ErrorText message={error} />
      {members === null && !error && <p className="muted">Loading the members…</p>}
      {members && (
        <ul className="browser-list details-members" aria-label="Members" ref={list} tabIndex={-1}>
          {members.map((u) => (
            <li key={u.id} data-member={u.id}>
              <PresenceDot userId={u.id} />
              <span className="browser-name">
                <PersonName userId={u.id} name={u.displayName} />{' '}
                <span className="role-tag">{roleLabel(u.role)}</span> <PresenceLine userId={u.id} />
                {mutes
                  .filter((m) => m.userId === u.id)
                  .slice(0, 1)
                  .map((m) => (
                    <span key={m.id} className="muted-tag">
                      {m.conversationId === null ? 'Muted in every channel' : 'Muted'} {muteEnds(m.until)}
                    </span>
                  ))}
              </span>
              {muteButton(u)}
              {removeButton(u)}
            </li>
          ))}
        </ul>
      )}
      {manages && members && (
        <section className="details-add" aria-labelledby="details-add-title">
          <h3 id="details-add-title">Add people</h3>
          <MemberPicker idPrefix="details" exclude={new Set(members.map((u) => u.id))} onAdd={add} />
        </section>
      )}
      {muting && (
        <Suspense fallback={null}>
          <MuteDialog
            person={muting}
            channel={{ id: c.id, name: c.name }}
            onClose={() => setMuting(null)}
            onDone={(said) => {
              setDone(said);
              void loadMutes();
            }}
          />
        </Suspense>
      )}
    </>
  );
}
