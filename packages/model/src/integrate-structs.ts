import type { Piece } from './overlay-piece.ts';
import type { StructRef } from './update-refs.ts';

/**
 * The order in which Yjs integrates an update's structs (yjs 13.6 `integrateStructs`), apart from what
 * integrating one struct does: `inspectUpdate` (inspect-before.ts) replays it on its overlay through
 * `StructSteps`. Clients are taken from the highest id down; a struct whose origins name history not yet
 * integrated waits on a stack while that client's structs go first; a struct whose history neither the
 * document nor the update holds is set aside with everything stacked on it (Yjs keeps those pending).
 */

/** A struct of the update, with the neighbours `missing` resolves for it. */
export type Ref = StructRef & { left?: Piece | null; right?: Piece | null };

/** What integrating one struct takes, as the replay provides it. */
export interface StructSteps {
  /** The next clock expected from `client`. */
  state(client: number): number;
  /** `Item.getMissing`: the client whose history is missing, or null once neighbours are resolved. */
  missing(ref: Ref & { kind: 'item' }): number | null;
  /** `Item.integrate` / `GC.integrate` of `ref` from `offset` on. */
  integrate(ref: Ref, offset: number): void;
}

/** `integrateStructs`: false when something waits for missing history (Yjs keeps it pending). */
export function integrateStructs(clients: Map<number, StructRef[]>, steps: StructSteps): boolean {
  const readers = new Map<number, { i: number; refs: Ref[] }>();
  for (const [c, refs] of clients) readers.set(c, { i: 0, refs });
  let ids = [...readers.keys()].sort((a, b) => a - b);
  const nextTarget = (): { i: number; refs: Ref[] } | null => {
    while (ids.length > 0) {
      const t = readers.get(ids[ids.length - 1] as number);
      if (t && t.i < t.refs.length) return t;
      ids.pop();
    }
    return null;
  };
  let cur = nextTarget();
  if (!cur) return true;
  let complete = true;
  const stack: Ref[] = [];
  const toRest = (): void => {
    for (const item of stack) {
      const r = readers.get(item.client);
      if (r) {
        readers.delete(item.client);
        r.i = 0;
        r.refs = [];
      }
      ids = ids.filter((c) => c !== item.client);
    }
    stack.length = 0;
    complete = false;
  };
  let head = cur.refs[cur.i++] as Ref;
  for (;;) {
    if (head.kind !== 'skip') {
      const offset = steps.state(head.client) - head.clock;
      if (offset < 0) {
        stack.push(head);
        toRest();
      } else {
        const miss = head.kind === 'item' ? steps.missing(head) : null;
        if (miss !== null) {
          stack.push(head);
          const r = readers.get(miss) ?? { i: 0, refs: [] };
          if (r.refs.length === r.i) toRest();
          else {
            head = r.refs[r.i++] as Ref;
            continue;
          }
        } else if (offset === 0 || offset < head.length) steps.integrate(head, offset);
      }
    }
    const popped = stack.pop();
    if (popped) head = popped;
    else if (cur !== null && cur.i < cur.refs.length) head = cur.refs[cur.i++] as Ref;
    else {
      cur = nextTarget();
      if (cur === null) break;
      head = cur.refs[cur.i++] as Ref;
    }
  }
  return complete;
}
