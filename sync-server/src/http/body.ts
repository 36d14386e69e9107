import type { Context } from 'hono';
import type * as z from 'zod/mini';
import { AppError } from '../services/errors.ts';

/** Parses a JSON body with a schema; the first problem becomes a sentence a person can act on. */
export async function readJson<S extends z.ZodMiniType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new AppError(400, 'bad-json', 'The request body is not valid JSON.');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new AppError(400, 'invalid-request', `${where}${issue?.message ?? 'invalid request'}`);
  }
  return parsed.data;
}
