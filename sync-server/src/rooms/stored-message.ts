/** A new message the server has durably stored, as the rooms tell it to those who act on it (pushes). */
export type StoredMessage = {
  conversationId: string;
  authorId: string;
  localId: string;
  text: string;
  /** The names of its attached files (issue 17), for a push of a message that is only files. */
  files: readonly string[];
  /** The thread parent's key (`author:local`), or null in the conversation itself. */
  parent: string | null;
  /** Its place in the conversation's order (P7), which read marks are compared with (P8). */
  seq: number;
};

/** A person's read mark in a conversation moved up to `seq`, durably stored (a read on one of their devices). */
export type ReadMoved = { conversationId: string; userId: string; seq: number };
