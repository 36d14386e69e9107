import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Signed, expiring links to attachment bytes (issue 17): `?exp=<ms>&sig=<hmac>` over the attachment, the
 * copy (file or thumbnail) and the expiry, keyed by a secret only the server holds. A link alone opens
 * nothing (the request needs a session of a member, checked every time); what it adds is an end date, so a
 * link copied out of a device or a log stops working within the hour.
 */

export type Copy = 'file' | 'thumb';

export type LinkSigner = {
  sign(id: string, copy: Copy, exp: number): string;
  verify(id: string, copy: Copy, exp: number, sig: string): boolean;
};

export function createLinkSigner(key: Buffer): LinkSigner {
  const mac = (id: string, copy: Copy, exp: number): Buffer =>
    createHmac('sha256', key).update(`${id}\n${copy}\n${exp}`).digest();
  return {
    sign: (id, copy, exp) => mac(id, copy, exp).toString('base64url'),
    verify(id, copy, exp, sig) {
      const given = Buffer.from(sig, 'base64url');
      const want = mac(id, copy, exp);
      return given.length === want.length && timingSafeEqual(given, want);
    },
  };
}

/** The signing key, made on first start and kept in the data folder (links outlive restarts). */
export function loadLinkKey(dataDir: string): Buffer {
  const path = join(dataDir, 'attachment-link.key');
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
    if (key.length >= 32) return key;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, key.toString('base64url'), { mode: 0o600 });
  return key;
}
