import * as Y from 'yjs';
import type { Changes, Insert, Removal } from './inspect.ts';
import { integrateStructs, type Ref, type StructSteps } from './integrate-structs.ts';
import { Piece, UNSET, findPiece, sameId } from './overlay-piece.ts';
import { readUpdateRefs, type DeleteRange, type Id } from './update-refs.ts';

/**
 * What `applyAndInspect` would report for `update`, computed without applying it, so the server can judge
 * a write before it touches the document and a refusal costs no reload (docs/THREAT_MODEL.md T12).
 *
 * How: Yjs's integration (yjs 13.6: `integrateStructs`, `Item.getMissing`, `Item.integrate`, `splitItem`,
 * `readAndApplyDeleteSet`) is replayed on an overlay; the order of `integrateStructs` is in
 * integrate-structs.ts, the steps here. Each struct of the document the update reaches is wrapped once as a
 * `Piece` (split into several where Yjs would split it); the update's own items become pieces too; links,
 * map values and list starts the replay changes are kept on the pieces and in two small maps, never
 * written to the document. The work is what Yjs's own merge would do (bounded by `mergeCost`
 * before this runs), not the document's size.
 *
 * The result is the same `Changes`, struct for struct and in the same order: an update's insert split by
 * its own delete set is reported in pieces, as Yjs leaves it, because the shape rules read `values` per
 * piece. With `pending` (the update needs history neither the document nor the update holds, or the
 * document already waits for some) `inserts` and `removals` are empty: the caller refuses it unread.
 * Throws where Yjs would throw (an origin that cannot exist), and on content our documents never hold.
 */
export function inspectUpdate(doc: Y.Doc, update: Uint8Array): Changes {
  const pendingResult: Changes = { inserts: [], removals: [], pending: true };
  // A document already waiting for history is never kept by the server (it reloads it); what a new
  // update would bring back from that wait is not replayed here.
  if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) return pendingResult;
  const { clients, deletes } = readUpdateRefs(update);
  const replay = new Replay(doc);
  if (!integrateStructs(clients, replay)) return pendingResult;
  if (!replay.applyDeletes(deletes)) return pendingResult;
  return { inserts: replay.inserts(), removals: replay.removals(), pending: false };
}

class Replay implements StructSteps {
  /** Stored struct → its pieces, in clock order (one until the replay splits it). */
  private readonly wrapped = new Map<Y.Item | Y.GC, Piece[]>();
  /** Client → the update's integrated pieces, in clock order. */
  private readonly fresh = new Map<number, Piece[]>();
  /** Clients the update adds to the document, in the order Yjs adds them to its store. */
  private readonly newClients: number[] = [];
  /** Clients in the order they first have something deleted (the transaction's delete set order). */
  private readonly dsClients = new Set<number>();
  private readonly removed = new Set<Piece>();
  /** Current value per `root\0key`, and first item per root, where the replay changed them. */
  private readonly mapValue = new Map<string, Piece | null>();
  private readonly start = new Map<string, Piece | null>();

  constructor(private readonly doc: Y.Doc) {}

  // --- reading the document through the overlay -------------------------------------------------------

  private rootName(type: unknown): string {
    if (!(type instanceof Y.AbstractType) || type._item !== null) return '(nested)';
    for (const [name, t] of this.doc.share) if (t === type) return name;
    return '(nested)';
  }

  private piecesOf(s: Y.Item | Y.GC): Piece[] {
    let pieces = this.wrapped.get(s);
    if (!pieces) {
      const p =
        s instanceof Y.Item
          ? new Piece(
              s.id.client,
              s.id.clock,
              s.length,
              s.origin,
              s.rightOrigin,
              this.rootName(s.parent),
              s.parentSub,
              null,
              s.deleted,
              s,
            )
          : new Piece(s.id.client, s.id.clock, s.length, null, null, null, null, null, true, s);
      this.wrapped.set(s, (pieces = [p]));
    }
    return pieces;
  }
  private first(s: Y.Item | null): Piece | null {
    return s ? (this.piecesOf(s)[0] as Piece) : null;
  }
  private last(s: Y.Item | null): Piece | null {
    if (!s) return null;
    const pieces = this.piecesOf(s);
    return pieces[pieces.length - 1] as Piece;
  }
  private left(p: Piece): Piece | null {
    if (p.l !== UNSET) return p.l;
    return p.stored instanceof Y.Item ? this.last(p.stored.left) : null;
  }
  private right(p: Piece): Piece | null {
    if (p.r !== UNSET) return p.r;
    return p.stored instanceof Y.Item ? this.first(p.stored.right) : null;
  }
  private typeOf(root: string): NonNullable<ReturnType<Y.Doc['share']['get']>> | null {
    return this.doc.share.get(root) ?? null;
  }
  private mapGet(root: string, key: string): Piece | null {
    const k = `${root}\u0000${key}`;
    if (this.mapValue.has(k)) return this.mapValue.get(k) ?? null;
    return this.last(this.typeOf(root)?._map.get(key) ?? null);
  }
  private startOf(root: string): Piece | null {
    if (this.start.has(root)) return this.start.get(root) ?? null;
    return this.first(this.typeOf(root)?._start ?? null);
  }

  state(client: number): number {
    const f = this.fresh.get(client);
    const last = f?.[f.length - 1];
    return last ? last.clock + last.length : Y.getState(this.doc.store, client);
  }

  /** The piece holding (client, clock), splitting nothing (Yjs's `getItem`). Throws where Yjs throws. */
  private at(id: Id): Piece {
    const f = this.fresh.get(id.client);
    if (f && f.length > 0 && id.clock >= (f[0] as Piece).clock) {
      const i = findPiece(f, id.clock);
      if (i >= 0) return f[i] as Piece;
    } else {
      const structs = this.doc.store.clients.get(id.client);
      if (structs && id.clock < Y.getState(this.doc.store, id.client)) {
        const pieces = this.piecesOf(structs[Y.findIndexSS(structs, id.clock)] as Y.Item | Y.GC);
        const i = findPiece(pieces, id.clock);
        if (i >= 0) return pieces[i] as Piece;
      }
    }
    throw new Error(`update refers to ${id.client}:${id.clock}, which does not exist`);
  }

  /** Yjs's `splitItem`: `p` keeps the first `diff` clocks; returns the new right part. */
  private split(p: Piece, diff: number): Piece {
    const right = new Piece(
      p.client,
      p.clock + diff,
      p.length - diff,
      { client: p.client, clock: p.clock + diff - 1 },
      p.rightOrigin,
      p.root,
      p.key,
      p.values ? p.values.slice(diff) : null,
      p.deleted,
      p.stored,
    );
    right.deletedNow = p.deletedNow;
    if (right.deletedNow && p.stored) this.removed.add(right);
    right.l = p;
    right.r = this.right(p);
    p.r = right;
    if (right.r) right.r.l = right;
    if (right.key !== null && right.r === null && right.root !== null)
      this.mapValue.set(`${right.root}\u0000${right.key}`, right);
    p.length = diff;
    if (p.values) p.values = p.values.slice(0, diff);
    const list = p.stored ? this.piecesOf(p.stored) : (this.fresh.get(p.client) as Piece[]);
    list.splice(list.indexOf(p) + 1, 0, right);
    return right;
  }
  private cleanEnd(id: Id): Piece {
    const p = this.at(id);
    if (id.clock !== p.clock + p.length - 1 && !p.gc) this.split(p, id.clock - p.clock + 1);
    return p;
  }
  private cleanStart(id: Id): Piece {
    const p = this.at(id);
    return p.clock < id.clock && !p.gc ? this.split(p, id.clock - p.clock) : p;
  }

  private delete(p: Piece): void {
    if (p.deleted) return;
    p.deleted = true;
    p.deletedNow = true;
    this.dsClients.add(p.client);
    if (p.stored) this.removed.add(p);
  }

  private add(p: Piece): void {
    let list = this.fresh.get(p.client);
    if (!list) {
      this.fresh.set(p.client, (list = []));
      if (!this.doc.store.clients.has(p.client)) this.newClients.push(p.client);
    }
    list.push(p);
  }

  // --- Yjs's integration, step by step -----------------------------------------------------------------

  /** `Item.getMissing`: the client whose history is missing, or null once neighbours are resolved. */
  missing(ref: Ref & { kind: 'item' }): number | null {
    const { origin, rightOrigin } = ref;
    if (origin && origin.client !== ref.client && origin.clock >= this.state(origin.client))
      return origin.client;
    if (
      rightOrigin &&
      rightOrigin.client !== ref.client &&
      rightOrigin.clock >= this.state(rightOrigin.client)
    )
      return rightOrigin.client;
    ref.left = null;
    ref.right = null;
    if (origin) {
      ref.left = this.cleanEnd(origin);
      ref.origin = ref.left.lastId;
    }
    if (rightOrigin) {
      ref.right = this.cleanStart(rightOrigin);
      ref.rightOrigin = { client: ref.right.client, clock: ref.right.clock };
    }
    return null;
  }

  /** `Item.integrate` / `GC.integrate` of `ref` from `offset` on. */
  integrate(ref: Ref, offset: number): void {
    if (ref.kind !== 'item') {
      this.add(
        new Piece(
          ref.client,
          ref.clock + offset,
          ref.length - offset,
          null,
          null,
          null,
          null,
          null,
          true,
          null,
        ),
      );
      return;
    }
    const clock = ref.clock + offset;
    const length = ref.length - offset;
    // Where it belongs is decided from the neighbours its origins name (`getMissing`), before an offset
    // moves its left neighbour: a garbage-collected neighbour makes it garbage too.
    let root: string | null = null;
    let key: string | null = null;
    const named = { left: ref.left ?? null, right: ref.right ?? null };
    if (!(named.left?.gc === true || named.right?.gc === true)) {
      if (ref.parent !== null) {
        root = ref.parent;
        key = ref.parentSub;
      } else if (named.left) {
        root = named.left.root;
        key = named.left.key;
      } else if (named.right) {
        root = named.right.root;
        key = named.right.key;
      }
    }
    let left = named.left;
    let origin = ref.origin;
    if (offset > 0) {
      left = this.cleanEnd({ client: ref.client, clock: clock - 1 });
      origin = left.lastId;
    }
    if (root === null) {
      this.add(new Piece(ref.client, clock, length, null, null, null, null, null, true, null));
      return;
    }
    const values = ref.values ? ref.values.slice(offset) : null;
    const p = new Piece(ref.client, clock, length, origin, ref.rightOrigin, root, key, values, false, null);
    p.l = left;
    p.r = named.right;
    this.place(p);
    const l = p.l ?? null;
    if (l !== null) {
      p.r = this.right(l);
      l.r = p;
    } else if (key !== null) p.r = this.firstAt(root, key);
    else {
      p.r = this.startOf(root);
      this.start.set(root, p);
    }
    if (p.r !== null) p.r.l = p;
    else if (key !== null) {
      this.mapValue.set(`${root}\u0000${key}`, p);
      if (l !== null) this.delete(l);
    }
    this.add(p);
    if (values === null) {
      // ContentDeleted.integrate: an item that arrives deleted.
      p.deleted = true;
      p.deletedNow = true;
      this.dsClients.add(p.client);
    }
    // A map value with a newer one after it is deleted on arrival.
    if (key !== null && p.r !== null) this.delete(p);
  }

  /** The first item of a map key (walking back from its value), or of a list. */
  private firstAt(root: string, key: string | null): Piece | null {
    if (key === null) return this.startOf(root);
    let r = this.mapGet(root, key);
    while (r !== null && this.left(r) !== null) r = this.left(r);
    return r;
  }

  /** Yjs's conflict resolution: sets `p.l` to the item it goes after, among concurrent ones. */
  private place(p: Piece): void {
    const root = p.root as string;
    const left0 = p.l ?? null;
    const right0 = p.r ?? null;
    const needed =
      (left0 === null && (right0 === null || this.left(right0) !== null)) ||
      (left0 !== null && this.right(left0) !== right0);
    if (!needed) return;
    let left = left0;
    let o = left !== null ? this.right(left) : this.firstAt(root, p.key);
    const conflicting = new Set<Piece>();
    const beforeOrigin = new Set<Piece>();
    while (o !== null && o !== right0) {
      beforeOrigin.add(o);
      conflicting.add(o);
      if (sameId(p.origin, o.origin)) {
        if (o.client < p.client) {
          left = o;
          conflicting.clear();
        } else if (sameId(p.rightOrigin, o.rightOrigin)) break;
      } else if (o.origin !== null && beforeOrigin.has(this.at(o.origin))) {
        if (!conflicting.has(this.at(o.origin))) {
          left = o;
          conflicting.clear();
        }
      } else break;
      o = this.right(o);
    }
    p.l = left;
  }

  /**
   * Like `at`, but a stored struct deleted already (so are all its pieces: nothing for a delete to do)
   * comes back as the clock after it, unwrapped: a device's sync step 2 repeats every deletion the
   * document ever had, and wrapping each of them cost several times Yjs's own pass over them.
   */
  private liveAt(id: Id): Piece | number {
    const f = this.fresh.get(id.client);
    if (!(f && f.length > 0 && id.clock >= (f[0] as Piece).clock)) {
      const structs = this.doc.store.clients.get(id.client);
      if (structs && id.clock < Y.getState(this.doc.store, id.client)) {
        const s = structs[Y.findIndexSS(structs, id.clock)] as Y.Item | Y.GC;
        if (s.deleted) return s.id.clock + s.length;
      }
    }
    return this.at(id);
  }

  /** `readAndApplyDeleteSet`: false when a range reaches past what the document and update hold. */
  applyDeletes(ranges: readonly DeleteRange[]): boolean {
    let complete = true;
    for (const { client, clock, len } of ranges) {
      const end = clock + len;
      const state = this.state(client);
      if (clock >= state) {
        complete = false;
        continue;
      }
      if (state < end) complete = false;
      let at = this.liveAt({ client, clock });
      if (typeof at !== 'number' && !at.deleted && at.clock < clock) at = this.split(at, clock - at.clock);
      for (;;) {
        let next: number;
        if (typeof at === 'number') next = at;
        else {
          if (at.clock >= end) break;
          if (!at.deleted) {
            if (end < at.clock + at.length) this.split(at, end - at.clock);
            this.delete(at);
          }
          next = at.clock + at.length;
        }
        if (next >= state || next >= end) break;
        at = this.liveAt({ client, clock: next });
      }
    }
    return complete;
  }

  // --- the report, as `collect` in inspect.ts reads it from the transaction --------------------------

  inserts(): Insert[] {
    const out: Insert[] = [];
    const order = [...this.doc.store.clients.keys(), ...this.newClients];
    for (const c of order)
      for (const p of this.fresh.get(c) ?? [])
        if (!p.gc)
          out.push({ root: p.root as string, key: p.key, values: p.values ?? [], deleted: p.deleted });
    return out;
  }

  removals(): Removal[] {
    const byClient = new Map<number, Piece[]>();
    for (const p of this.removed) {
      let list = byClient.get(p.client);
      if (!list) byClient.set(p.client, (list = []));
      list.push(p);
    }
    const out: Removal[] = [];
    for (const c of this.dsClients)
      for (const p of (byClient.get(c) ?? []).sort((a, b) => a.clock - b.clock))
        if (!p.gc) out.push({ root: p.root as string, key: p.key });
    return out;
  }
}
