/** A new message the server has durably stored, as the rooms tell it to those who act on it (pushes). */
export type StoredMessage = {
  conversationId: string;
  authorId: string;
  localId: string;
  text: string;
  /** The thread parent's key (`author:local`), or null in the conversation itself. */
  parent: string | null;
};
