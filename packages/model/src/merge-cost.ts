import type { ItemAnchor } from '@commonroom/protocol';
import * as Y from 'yjs';

/**
 * An upper bound, counted and never timed, on the work Yjs does to merge an update into `doc`.
 *
 * Why: Yjs places an item among the concurrent items between its left and right neighbours by walking
 * them (`Item.integrate`). Items written by many client ids at one place (a read mark's map key, say), or
 * at a place that already holds many, cost a walk each: quadratic in one update and growing with every
 * stored one. An honest update holds almost no concurrency (one device writes after what it has seen), so
 * its walks are empty; a forged one is refused from this count before it is applied (docs/PROTOCOL.md P10).
 *
 * The count: one per item and per deleted range; for each item, the items already in `doc` it may walk
 * (from its left neighbour, or the start of its map key or list, up to its right neighbour or the end);
 * and, for items sharing a left neighbour with another item of the same update, every item of the update
 * (siblings and what grew after them). Counting stops once past `budget`. A place where more than
 * `perPlace` items of the update meet, or where an item would walk more than `perPlace` items already
 * there, counts as over the budget: the budget bounds one merge, this bounds what the document keeps for
 * every later reading of it (a reload after a refusal replays it). An honest device meets that only when
 * another of the person's devices wrote many things at the same place meanwhile; it then takes the
 * server's copy and applies its action again there, where nothing is concurrent (P12).
 */
export function mergeCost(
  doc: Y.Doc,
  items: readonly ItemAnchor[],
  deletedRanges: number,
  limits: { budget: number; perPlace: number },
): number {
  const { budget, perPlace } = limits;
  const over = budget + 1;
  let work = items.length + deletedRanges;
  if (work > budget) return work;
  const siblings = new Map<string, number>();
  const placeOf = (a: ItemAnchor): string =>
    a.origin
      ? `o${a.origin[0]}:${a.origin[1]}`
      : a.right
        ? `r${a.right[0]}:${a.right[1]}`
        : `p${a.root ?? ''}\u0000${a.key ?? '\u0000'}`;
  for (const a of items) {
    const p = placeOf(a);
    const n = (siblings.get(p) ?? 0) + 1;
    // More concurrent items at one place than any device writes: what they cost now is bounded by the
    // budget, but every later reading of the document (a reload, a restart) walks them again.
    if (n > perPlace) return over;
    siblings.set(p, n);
  }
  const walked = new Map<string, number>();
  for (const a of items) {
    const p = placeOf(a);
    const key = a.right ? `${p}>${a.right[0]}:${a.right[1]}` : p;
    let w = walked.get(key);
    if (w === undefined) {
      w = existingWalk(doc, a, Math.min(budget - work, perPlace) + 1);
      if (w > perPlace) return over;
      walked.set(key, w);
    }
    work += w + ((siblings.get(p) ?? 0) > 1 ? items.length : 0);
    if (work > budget) return work;
  }
  return work;
}

/** The item of `doc` holding id (client, clock), or null when `doc` does not have it (yet) as an item. */
function itemAt(doc: Y.Doc, id: readonly [number, number]): Y.Item | null {
  const structs = doc.store.clients.get(id[0]);
  const last = structs?.[structs.length - 1];
  if (!structs || !last || id[1] >= last.id.clock + last.length) return null;
  const s = structs[Y.findIndexSS(structs, id[1])];
  return s instanceof Y.Item ? s : null;
}

/** Items of `doc` Yjs may walk to place `a`, counted up to `cap`. */
function existingWalk(doc: Y.Doc, a: ItemAnchor, cap: number): number {
  const stop = a.right ? itemAt(doc, a.right) : null;
  let o: Y.Item | null;
  let steps = 0;
  if (a.origin) {
    const left = itemAt(doc, a.origin);
    // Its left neighbour arrives in the same update (or never): only items of this update lie after it.
    if (!left) return 0;
    o = left.right;
  } else {
    let parent: { _map: Map<string, Y.Item>; _start: Y.Item | null } | null = null;
    let key: string | null = a.key;
    if (stop) {
      parent = stop.parent instanceof Y.AbstractType ? stop.parent : null;
      key = stop.parentSub;
    } else if (a.root !== null) parent = doc.share.get(a.root) ?? null;
    if (!parent) return 0;
    if (key !== null) {
      // A map key's items: Yjs walks back from the current value to the first, then forward.
      o = parent._map.get(key) ?? null;
      while (o?.left && steps < cap) {
        o = o.left;
        steps++;
      }
    } else o = parent._start;
  }
  while (o && o !== stop && steps < cap) {
    o = o.right;
    steps++;
  }
  return steps;
}
