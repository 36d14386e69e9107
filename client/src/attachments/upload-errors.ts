/** The server refused a file (too big, not allowed here, a type it does not take): retrying will not help. */
export class UploadRefused extends Error {
  override name = 'UploadRefused';
  /** A refusal that can pass with time (today's limit, a file the server did not finish): "Try again" helps. */
  readonly retryable: boolean;
  constructor(message: string, retryable = false) {
    super(message);
    this.retryable = retryable;
  }
}

/** The session ended (401): the queue stops until someone signs in; nothing is marked failed. */
export class UploadSignedOut extends Error {
  override name = 'UploadSignedOut';
}

/** What a 403 means to the queue: the person may not post there any more (left, removed, muted). */
export const NO_LONGER_POST = 'you can no longer post in this conversation';

/** The file is not on the server any more (its upload was swept or never finished): upload it again. */
export class UploadGone extends Error {
  override name = 'UploadGone';
}

/** Plain words for a refusal the server gave no sentence for. */
export function refusalWords(status: number): string {
  if (status === 413) return 'the file is too big';
  if (status === 429) return 'you have sent as much as you can today; try again tomorrow';
  if (status === 403) return NO_LONGER_POST;
  if (status === 401) return 'you are signed out';
  if (status === 415) return 'this kind of file cannot be sent';
  return `the server did not take the file (${status})`;
}

/** The sentence in a refusal's JSON body (`{error}` or `{message}`), if there is one. */
export function refusalFromBody(status: number, body: string | undefined): string {
  try {
    const json = JSON.parse(body ?? '') as { message?: unknown; error?: unknown };
    const words = typeof json.message === 'string' ? json.message : json.error;
    // A code like "file-too-big" is not a sentence: keep the plain words then.
    if (typeof words === 'string' && /\s/.test(words)) return words.replace(/\.$/, '');
  } catch {
    // Not JSON: the words below.
  }
  return refusalWords(status);
}
