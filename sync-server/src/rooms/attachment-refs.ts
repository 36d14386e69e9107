import { messageKey, type MessageRecord } from '@commonroom/model';
import type { AttachmentStore } from '../storage/attachments.ts';
import type { Refusal } from './judges.ts';

/**
 * Files a new message references (issue 17, docs/THREAT_MODEL.md T20), checked before the message is
 * acknowledged: each is an upload that exists, is ready, was uploaded by the message's author to this
 * conversation, and is not in another message. A message that passes ties its files to itself in the
 * commit that stores it; between the judgement and that commit the files are claimed in memory, so two
 * messages judged before either commits cannot both take one file.
 */

/** What the check needs of an attachment. */
export type AttachmentRef = {
  conversationId: string;
  uploaderId: string;
  status: string;
  error: string | null;
  messageKey: string | null;
  /** What the server found of the bytes; the reference must say the same (see judgeFiles). */
  size: number;
  type: string;
  width: number | null;
  height: number | null;
};

const refuse = (message: string): Refusal => ({ ok: false, code: 'bad-attachment', message });

/** Refuses the first message whose files are not all the author's own ready uploads to this conversation. */
export function judgeFiles(
  messages: readonly MessageRecord[],
  f: { authorId: string; conversationId: string; lookup: (id: string) => AttachmentRef | null },
): Refusal | null {
  const seen = new Set<string>();
  for (const m of messages) {
    const key = messageKey(f.authorId, m.id);
    for (const file of m.files ?? []) {
      if (seen.has(file.id)) return refuse(`the file "${file.name}" is attached twice`);
      seen.add(file.id);
      const a = f.lookup(file.id);
      if (!a) return refuse(`the file "${file.name}" was not uploaded, or was removed`);
      if (a.uploaderId !== f.authorId) return refuse(`the file "${file.name}" was uploaded by someone else`);
      if (a.conversationId !== f.conversationId)
        return refuse(`the file "${file.name}" was uploaded to another conversation`);
      if (a.status === 'refused') return refuse(a.error ?? `the file "${file.name}" was refused`);
      if (a.status !== 'ready') return refuse(`the file "${file.name}" has not finished uploading`);
      // Readers lay a file out from the reference before fetching anything (a picture's box, a card's
      // type and size), so it must describe the stored bytes: otherwise an author could label a PDF as a
      // picture and every reader would show a broken image. Only the name is the author's to choose.
      if (
        file.size !== a.size ||
        file.type !== a.type ||
        (file.w ?? null) !== a.width ||
        (file.h ?? null) !== a.height
      )
        return refuse(`the file "${file.name}" is not described as it was stored`);
      if (a.messageKey !== null && a.messageKey !== key)
        return refuse(`the file "${file.name}" is already in another message`);
    }
  }
  return null;
}

/** The attachment rows as the rooms see them: the store's, with the claims of messages still committing. */
export function createAttachmentRefs(store: Pick<AttachmentStore, 'get' | 'attach'>) {
  const claims = new Map<string, string>();
  return {
    lookup: (id: string): AttachmentRef | null => {
      const row = store.get(id);
      if (!row) return null;
      return { ...row, messageKey: row.messageKey ?? claims.get(id) ?? null };
    },
    /** Claims an accepted update's files for its messages until its commit ends; returns the release. */
    claim: (messages: readonly MessageRecord[], authorId: string): (() => void) => {
      const ids: string[] = [];
      for (const m of messages)
        for (const file of m.files ?? []) {
          claims.set(file.id, messageKey(authorId, m.id));
          ids.push(file.id);
        }
      return () => {
        for (const id of ids) claims.delete(id);
      };
    },
    /** Ties the stored messages' files to them; run inside the commit's transaction. */
    attach: (messages: readonly MessageRecord[], authorId: string): void => {
      for (const m of messages)
        if (m.files && m.files.length > 0)
          store.attach(
            m.files.map((f) => f.id),
            messageKey(authorId, m.id),
          );
    },
  };
}

export type AttachmentRefs = ReturnType<typeof createAttachmentRefs>;
