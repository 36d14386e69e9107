/**
 * Limits on everything a client may send. The server enforces them; the engine respects them so that an
 * honest client never trips one (an offline backlog is split across several frames).
 */
export const LIMITS = {
  /** One WebSocket message. ws closes larger ones with 1009 before we see them. */
  maxFrameBytes: 64 * 1024,
  /** Frames batched in one WebSocket message (a reconnect sends many sync-step-1s in one round). */
  maxFramesPerMessage: 512,
  /** Structs (items, deletions, GC ranges) in one Yjs update: bounds decoder work (yjs#687). */
  maxStructsPerUpdate: 20_000,
  /** The clock span one update may claim, so a tiny GC/Skip struct cannot declare a trillion items. */
  maxClockSpanPerUpdate: 1_000_000,
  /**
   * Yjs client ids one update writes as. An honest device writes as one per session (a new one after a
   * reload or a rebuild) and merges at most this many into a frame; many client ids writing at one place
   * is what makes Yjs's merge quadratic (issue 12 A1).
   */
  maxClientsPerUpdate: 16,
  /**
   * Merge work one update may cost, counted by `mergeCost` (items, deleted ranges, and the concurrent
   * items Yjs walks to place each item): about 10 ms of Yjs on a 2-core server. An honest update costs
   * about its item count.
   */
  maxMergeWorkPerUpdate: 200_000,
  /**
   * Concurrent items one update may put at one place, or walk past there: such items stay in the
   * document, and every later reading of it (a reload, a restart) walks them again.
   */
  maxConcurrentPerPlace: 32,
  /** Nesting of plain values inside a message record. */
  maxValueDepth: 8,
  /** Characters in one message's text. */
  maxMessageChars: 8_000,
  maxDocNameLength: 160,
  /**
   * New messages (thread replies included) one sync frame may add. The engine merges a backlog into frames
   * of at most this many; a frame with more is refused (`too-many-messages`). With the per-person rate
   * (`slow-down`), it keeps one person from rolling a channel through segments in a few frames (P10).
   */
  maxNewMessagesPerFrame: 20,
  /** Action ids named by one sync frame (the engine merges at most 256 actions into a frame). */
  maxActionsPerFrame: 512,
  maxActionIdLength: 64,
  /**
   * How far past the server's clock a read time may be (P8): a time in 2099 is refused, a device clock a
   * little fast is not. The engine stamps read times with the server's clock as of its last WELCOME.
   */
  readTimeSkewMs: 60 * 60_000,
  maxDisplayNameLength: 80,
  maxStatusTextLength: 100,
  /** A status's emoji: one emoji, which may be several code points (a flag, a skin tone, a family). */
  maxStatusEmojiLength: 16,
  /** Milliseconds a fresh socket has to send HELLO. */
  helloDeadlineMs: 5_000,
  maxSocketsPerUser: 10,
  /** Documents one socket may follow at once (a student in 50 channels needs a few hundred). */
  maxSubscriptionsPerSocket: 5_000,
} as const;
