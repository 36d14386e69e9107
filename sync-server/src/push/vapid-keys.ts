import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import webpush from 'web-push';
import { z } from 'zod';
import type { VapidKeys } from '../config.ts';

const Stored = z.object({
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{80,100}$/),
  privateKey: z.string().regex(/^[A-Za-z0-9_-]{40,50}$/),
});

/**
 * The server's VAPID key pair (RFC 8292): from the environment when set, else the pair kept in the data
 * folder, made on first start. Browsers bind each push subscription to the public key, so a new pair would
 * silently orphan every device's subscription: the file is written once (0600, atomically) and then only
 * read. A file that is there but unreadable stops start-up rather than replacing the keys.
 */
export function loadVapidKeys(dataDir: string, fromEnv: VapidKeys | null): VapidKeys {
  if (fromEnv) return fromEnv;
  const file = join(dataDir, 'vapid.json');
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== null) {
    const parsed = Stored.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${file} is not a VAPID key pair; fix or remove it`);
    return parsed.data;
  }
  const made = webpush.generateVAPIDKeys();
  const keys = { publicKey: made.publicKey, privateKey: made.privateKey };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(keys)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return keys;
}
