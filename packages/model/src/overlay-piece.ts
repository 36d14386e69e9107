import type * as Y from 'yjs';
import type { Id } from './update-refs.ts';

/**
 * The overlay `inspectUpdate` replays Yjs's integration on (inspect-before.ts): pieces of stored structs
 * and of the update's own, with the links the replay changed kept on them, never on the document.
 */

export const UNSET = undefined;

/** A struct, or part of one, as the replay sees it. */
export class Piece {
  /** Neighbours; `undefined`: not changed by the replay, read from the stored item. */
  l: Piece | null | undefined = UNSET;
  r: Piece | null | undefined = UNSET;
  /** Deleted by this update (a removal when stored, an insert's `deleted` when new). */
  deletedNow = false;
  constructor(
    readonly client: number,
    public clock: number,
    public length: number,
    public origin: Id | null,
    readonly rightOrigin: Id | null,
    /** The root it lives in; null for a GC struct. */
    readonly root: string | null,
    readonly key: string | null,
    /** ContentAny values of a new item; null otherwise. */
    public values: unknown[] | null,
    public deleted: boolean,
    /** The stored struct this is (a part of); null when the update brings it. */
    readonly stored: Y.Item | Y.GC | null,
  ) {}
  get gc(): boolean {
    return this.root === null;
  }
  get lastId(): Id {
    return { client: this.client, clock: this.clock + this.length - 1 };
  }
}

export const sameId = (a: Id | null, b: Id | null): boolean =>
  a === b || (a !== null && b !== null && a.client === b.client && a.clock === b.clock);

/** The struct containing `clock` among pieces sorted by clock (Yjs's `findIndexSS`). */
export function findPiece(pieces: readonly Piece[], clock: number): number {
  let lo = 0;
  let hi = pieces.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = pieces[mid] as Piece;
    if (p.clock <= clock) {
      if (clock < p.clock + p.length) return mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return -1;
}
