import { seeded } from '@commonroom/testkit';

/**
 * Seeded stand-ins for `src/storage/ids.ts` in a simulation (vi.mock'ed by its test files): account and
 * conversation ids name documents and order keys, so a seed replays exactly only if they are the same on
 * every run. Same shape as the real ones (16 base64url characters).
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
let random = seeded(1);

export function reseedIds(seed: number): void {
  random = seeded(seed);
}

export function newId(): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += ALPHABET[Math.floor(random() * 64)] ?? 'x';
  return s;
}
