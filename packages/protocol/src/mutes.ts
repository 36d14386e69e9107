// zod/mini, as http.ts: read by the server and the lazy chunks (mute dialog, admin); the first screen needs none.
import * as z from 'zod/mini';

/**
 * Muting a person (issue 14 §3): a moderator of a channel mutes someone there, an admin in one channel or
 * everywhere, for a period or until lifted. The server refuses their new messages, edits and reactions in
 * that scope (`muted`), those queued offline before the mute reached their device included.
 */

const Id = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,40}$/, 'not a valid id'));

export const MuteDuration = z.enum(['1h', '1d', '1w', 'lifted']);
export type MuteDuration = z.infer<typeof MuteDuration>;

export const MuteRequest = z.object({
  userId: Id,
  /** The channel; null mutes everywhere (admins only). */
  conversationId: z.nullable(Id),
  duration: MuteDuration,
  reason: z._default(z.string().check(z.trim(), z.maxLength(500, 'a reason is at most 500 characters')), ''),
});
export type MuteRequest = z.infer<typeof MuteRequest>;

export const Mute = z.object({
  id: Id,
  userId: Id,
  conversationId: z.nullable(Id),
  /** `#name` of the channel, null when everywhere. */
  conversationName: z.nullable(z.string()),
  /** When it ends by itself (ms since the epoch); null until lifted. */
  until: z.nullable(z.number()),
  reason: z.string(),
  createdBy: z.nullable(Id),
  createdAt: z.number(),
});
export type Mute = z.infer<typeof Mute>;

export const MuteList = z.object({ mutes: z.array(Mute) });
export const MuteReply = z.object({ mute: Mute });

/** What a person's own conversation says about their mute there (the composer's banner). */
export const MuteState = z.object({ until: z.nullable(z.number()), everywhere: z.boolean() });
export type MuteState = z.infer<typeof MuteState>;
