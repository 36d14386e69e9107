import { findMentions, isBroadcastHandle, mentionHandle, plainText } from '@commonroom/model';
import type { PushPayload } from '@commonroom/protocol';
import type { Logger } from 'pino';
import type { StoredMessage } from '../rooms/stored-message.ts';
import type { ConversationRow } from '../storage/conversations.ts';
import type { UserRow } from '../storage/users.ts';
import type { PushPreferences } from './preferences.ts';

type Why = Exclude<PushPayload['kind'], 'clear' | 'report'>;

export type MessagePushDeps = {
  conversation: (id: string) => ConversationRow | null;
  members: (conversationId: string) => Iterable<string>;
  user: (id: string) => UserRow | null;
  /** The authors of a thread: the parent's and every reply's. */
  threadPeople: (conversationId: string, parentKey: string) => readonly string[];
  send: (userId: string, payload: PushPayload) => Promise<unknown>;
  /** Told of each person a message was pushed to (so a read elsewhere can clear it: read-clears.ts). */
  pushed?: (userId: string, m: StoredMessage) => void;
  log: Logger;
  /** Each person's own choices (issue 15 §2, preferences.ts); without it, everyone has the defaults. */
  prefs?: Pick<PushPreferences, 'mayWantEvery' | 'wantsEvery' | 'allows'>;
};

const FIRST_LINE = 140;
// The first line of words, without formatting marks: a notification shows plain text (issue 18).
/** What a push says of a message that is only files (no caption): the file, or how many. */
const filesLine = (names: readonly string[]): string =>
  names.length === 0
    ? ''
    : names.length === 1
      ? `📎 ${(names[0] ?? '').slice(0, FIRST_LINE)}`
      : `📎 ${names.length} files`;
const firstLine = (text: string): string => {
  const line = (
    plainText(text)
      .split('\n')
      .find((l) => l.trim() !== '') ?? ''
  ).trim();
  return line.length > FIRST_LINE ? `${line.slice(0, FIRST_LINE - 1)}…` : line;
};

/**
 * Who hears of a stored message by push (issue 15 §1), and what they are told. Only the conversation's
 * members (what each may see), never the author: everyone in a DM; everyone in an announcement channel;
 * in other channels the people mentioned (or everyone, for @channel / @here / @everyone, which only staff
 * may write) and the people in the thread a reply is in; anyone who asked for every message (issue 15 §2).
 * One push per person, the strongest reason first; then each person's own choices may take it away.
 */
export function createMessagePushes(d: MessagePushDeps) {
  /** Takes out whoever's own choices (level, this conversation's, quiet hours) say no push now. */
  const allowed = (conversationId: string, out: Map<string, Why>): Map<string, Why> => {
    if (d.prefs) for (const [id, why] of out) if (!d.prefs.allows(id, conversationId, why)) out.delete(id);
    return out;
  };
  const recipients = (m: StoredMessage): Map<string, Why> => {
    const out = new Map<string, Why>();
    const c = d.conversation(m.conversationId);
    if (!c) return out;
    const mentions = m.text.includes('@') ? findMentions(m.text) : [];
    // Most channel messages push to nobody: decided before the members are read (it runs per message).
    if (
      c.kind !== 'dm' &&
      c.kind !== 'announcement' &&
      mentions.length === 0 &&
      m.parent === null &&
      !d.prefs?.mayWantEvery(c.id)
    )
      return out;
    const members = [...d.members(c.id)].filter((id) => id !== m.authorId);
    const add = (ids: Iterable<string>, why: Why) => {
      for (const id of ids) if (!out.has(id)) out.set(id, why);
    };
    if (c.kind === 'dm') {
      add(members, 'dm');
      return allowed(c.id, out);
    }
    if (mentions.some((x) => isBroadcastHandle(x.handle))) add(members, 'mention');
    else if (mentions.length > 0) {
      const wanted = new Set(mentions.map((x) => x.handle.normalize('NFC').toLowerCase()));
      add(
        members.filter((id) => {
          const u = d.user(id);
          return u !== null && wanted.has(mentionHandle(u).toLowerCase());
        }),
        'mention',
      );
    }
    if (m.parent !== null) {
      const inThread = new Set(d.threadPeople(c.id, m.parent));
      add(
        members.filter((id) => inThread.has(id)),
        'reply',
      );
    }
    if (c.kind === 'announcement' && m.parent === null) add(members, 'announcement');
    const prefs = d.prefs;
    if (prefs)
      add(
        members.filter((id) => prefs.wantsEvery(id, c.id)),
        'message',
      );
    return allowed(c.id, out);
  };

  const payloadFor = (m: StoredMessage, why: Why): PushPayload => {
    const c = d.conversation(m.conversationId);
    const author = d.user(m.authorId)?.displayName ?? 'Someone';
    const where = c && c.kind !== 'dm' && c.name !== null ? ` in #${c.name}` : '';
    const title =
      why === 'reply'
        ? `${author} replied in a thread${where}`
        : why === 'mention'
          ? `${author} mentioned you${where}`
          : `${author}${where}`;
    return {
      kind: why,
      title: title.slice(0, 200),
      body: firstLine(m.text) || filesLine(m.files),
      tag: `c:${m.conversationId}`,
      // The app's own link to the message (app.tsx reads it at start and from the service worker): the
      // conversation scrolled to it, or its thread open on it for a reply.
      url: `/#/c/${encodeURIComponent(m.conversationId)}/m/${encodeURIComponent(m.authorId)}:${encodeURIComponent(m.localId)}`,
      conversationId: m.conversationId,
    };
  };

  return {
    recipients,
    payloadFor,
    /** After a commit: sends in the background; a push that fails is logged, the message is stored. */
    stored(list: readonly StoredMessage[]): void {
      for (const m of list) {
        // One payload per reason, not per person: an announcement reaches every member with the same words.
        const payloads = new Map<Why, PushPayload>();
        for (const [userId, why] of recipients(m)) {
          let payload = payloads.get(why);
          if (!payload) payloads.set(why, (payload = payloadFor(m, why)));
          d.send(userId, payload).catch((err: unknown) => d.log.warn({ err }, 'push for a message failed'));
          d.pushed?.(userId, m);
        }
      }
    },
  };
}

export type MessagePushes = ReturnType<typeof createMessagePushes>;
