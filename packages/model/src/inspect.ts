import * as Y from 'yjs';

/**
 * What one applied update changed, read from the transaction Yjs ran. The server judges an update before
 * applying it, from `inspectUpdate` (inspect-before.ts), which reports exactly this without applying; this
 * is the reference it is tested against (docs/THREAT_MODEL.md T12), and what tests read after applying.
 */
export type Insert = { root: string; key: string | null; values: unknown[]; deleted: boolean };
export type Removal = { root: string; key: string | null };
export type Changes = { inserts: Insert[]; removals: Removal[]; pending: boolean };

function rootNameOf(doc: Y.Doc, type: Y.AbstractType<unknown>): string | null {
  if (type._item !== null) return null;
  for (const [name, t] of doc.share) if (t === type) return name;
  return null;
}

function describe(doc: Y.Doc, item: Y.Item): { root: string; key: string | null } {
  const parent = item.parent;
  const root = parent instanceof Y.AbstractType ? rootNameOf(doc, parent) : null;
  return { root: root ?? '(nested)', key: item.parentSub };
}

function collect(doc: Y.Doc, tr: Y.Transaction): Changes {
  const inserts: Insert[] = [];
  const removals: Removal[] = [];
  tr.afterState.forEach((after, client) => {
    const before = tr.beforeState.get(client) ?? 0;
    if (after <= before) return;
    const structs = doc.store.clients.get(client);
    if (!structs) return;
    for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
      const s = structs[i];
      if (!s || s.id.clock >= after) break;
      if (!(s instanceof Y.Item)) continue;
      const where = describe(doc, s);
      const values = s.content instanceof Y.ContentAny ? s.content.arr : [];
      inserts.push({ ...where, values, deleted: s.deleted });
    }
  });
  Y.iterateDeletedStructs(tr, tr.deleteSet, (s) => {
    if (s instanceof Y.Item && s.id.clock < (tr.beforeState.get(s.id.client) ?? 0))
      removals.push(describe(doc, s));
  });
  return { inserts, removals, pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null };
}

/**
 * Applies `update` and reports what it changed. Throws what Yjs throws (the document may then be
 * half-applied).
 */
export function applyAndInspect(doc: Y.Doc, update: Uint8Array, origin: unknown): Changes {
  let changes: Changes | null = null;
  const listener = (tr: Y.Transaction): void => {
    if (tr.origin === origin) changes = collect(doc, tr);
  };
  doc.on('afterTransaction', listener);
  try {
    Y.applyUpdate(doc, update, origin);
  } finally {
    doc.off('afterTransaction', listener);
  }
  // No transaction ran when the update held nothing new (a duplicate send).
  return (
    changes ?? {
      inserts: [],
      removals: [],
      pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null,
    }
  );
}
