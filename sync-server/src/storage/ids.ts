import { randomBytes } from 'node:crypto';

/** 16 random bytes in base64url: unguessable and valid as a protocol id. */
export function newId(): string {
  return randomBytes(12).toString('base64url');
}
