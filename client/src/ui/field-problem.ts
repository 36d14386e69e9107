/**
 * The server's refusal of a form as a sentence for one field. Its body parser says `name: channel names
 * are …` (sync-server http/body.ts: the schema path, then the schema's message); a person should read "Use
 * lowercase letters…" next to the Name field, not a path. Returns the field the message is about (or null)
 * and the words, first letter capitalised, ending with a full stop.
 */
export function fieldProblem(message: string): { field: string | null; text: string } {
  const m = /^([A-Za-z][\w.]*): (.+)$/s.exec(message);
  const field = m?.[1] ?? null;
  const words = (m?.[2] ?? message).trim();
  const text = words.charAt(0).toUpperCase() + words.slice(1);
  return { field, text: /[.!?]$/.test(text) ? text : `${text}.` };
}
