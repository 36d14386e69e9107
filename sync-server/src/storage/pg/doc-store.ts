import type { AsyncDocStore } from '../doc-store-async.ts';
import { inTransaction, type PgClient, type PgPool } from './pool.ts';

/**
 * The document store on PostgreSQL (docs/SCALE-OUT.md §3), for the schema of pg/migrations.ts.
 *
 * Ids are per document and given in the commit: each document's `doc_seqs` row is taken with an upsert
 * that moves it on by the number of updates the batch holds for it. The upsert row-locks the document
 * until COMMIT, so batches writing one document serialise there and its ids increase in commit order,
 * whichever process or pool wrote them. Documents are locked in sorted order, so two batches never wait
 * for each other in a cycle. A batch is three statements whatever its size (seqs, rows, alongside), which
 * is what group commit needs.
 */
export function createPgDocStore(pool: PgPool, now: () => number = Date.now): AsyncDocStore<PgClient> {
  const bytes = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

  /** Takes `n[i]` ids for `docs[i]` (sorted, distinct); returns each document's last id after them. */
  const takeIds = async (tx: PgClient, docs: string[], n: number[]): Promise<Map<string, number>> => {
    const r = await tx.query<{ doc: string; last_id: string }>(
      `INSERT INTO doc_seqs (doc, last_id)
       SELECT d, n FROM unnest($1::text[], $2::bigint[]) AS t(d, n) ORDER BY d
       ON CONFLICT (doc) DO UPDATE SET last_id = doc_seqs.last_id + EXCLUDED.last_id
       RETURNING doc, last_id`,
      [docs, n],
    );
    return new Map(r.rows.map((row) => [row.doc, Number(row.last_id)]));
  };

  const append = async (
    tx: PgClient,
    entries: readonly { doc: string; data: Uint8Array }[],
  ): Promise<void> => {
    const perDoc = new Map<string, number>();
    for (const e of entries) perDoc.set(e.doc, (perDoc.get(e.doc) ?? 0) + 1);
    const docs = [...perDoc.keys()].sort();
    const last = await takeIds(
      tx,
      docs,
      docs.map((d) => perDoc.get(d) ?? 0),
    );
    // Each document's ids run up to its new last id, in the order its entries came.
    const next = new Map(docs.map((d) => [d, (last.get(d) ?? 0) - (perDoc.get(d) ?? 0) + 1]));
    const ids = entries.map((e) => {
      const id = next.get(e.doc) ?? 0;
      next.set(e.doc, id + 1);
      return id;
    });
    await tx.query(
      `INSERT INTO doc_updates (doc, id, data, created_at)
       SELECT d, i, b, $4 FROM unnest($1::text[], $2::bigint[], $3::bytea[]) AS t(d, i, b)`,
      [entries.map((e) => e.doc), ids, entries.map((e) => bytes(e.data)), now()],
    );
  };

  return {
    async load(doc) {
      const r = await pool.query<{ id: string; data: Buffer; head_id: string | null; sv: Buffer | null }>(
        `SELECT u.id, u.data, h.last_id AS head_id, h.state_vector AS sv
         FROM doc_updates u LEFT JOIN doc_heads h ON h.doc = u.doc
         WHERE u.doc = $1 ORDER BY u.id`,
        [doc],
      );
      const updates = r.rows.map((row) => view(row.data));
      const lastRow = r.rows.at(-1);
      const lastId = lastRow ? Number(lastRow.id) : 0;
      // The stored state vector is that of the compacted row with id `last_id`: only that row, alone.
      const only = r.rows.length === 1 ? r.rows[0] : undefined;
      return only?.sv && only.head_id !== null && Number(only.head_id) === lastId
        ? { updates, lastId, stateVector: view(only.sv) }
        : { updates, lastId };
    },

    async loadAfter(doc, afterId) {
      const r = await pool.query<{ id: string; data: Buffer }>(
        'SELECT id, data FROM doc_updates WHERE doc = $1 AND id > $2 ORDER BY id',
        [doc, afterId],
      );
      const lastRow = r.rows.at(-1);
      return { updates: r.rows.map((row) => view(row.data)), lastId: lastRow ? Number(lastRow.id) : afterId };
    },

    async appendBatch(entries, alongside) {
      if (entries.length === 0 && !alongside) return;
      await inTransaction(pool, async (tx) => {
        if (entries.length > 0) await append(tx, entries);
        if (alongside) await alongside(tx);
      });
    },

    // The merged state takes the id of the newest update it replaces, so order with later updates is kept.
    async compact(doc, upToId, state, stateVector) {
      await inTransaction(pool, async (tx) => {
        await tx.query('DELETE FROM doc_updates WHERE doc = $1 AND id <= $2', [doc, upToId]);
        await tx.query('INSERT INTO doc_updates (doc, id, data, created_at) VALUES ($1, $2, $3, $4)', [
          doc,
          upToId,
          bytes(state),
          now(),
        ]);
        await tx.query(
          `INSERT INTO doc_heads (doc, last_id, state_vector) VALUES ($1, $2, $3)
           ON CONFLICT (doc) DO UPDATE SET last_id = EXCLUDED.last_id, state_vector = EXCLUDED.state_vector`,
          [doc, upToId, bytes(stateVector)],
        );
      });
    },

    async count(doc) {
      const r = await pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM doc_updates WHERE doc = $1', [
        doc,
      ]);
      return Number(r.rows[0]?.n ?? 0);
    },

    async head(doc) {
      const r = await pool.query<{ n: string; last: string | null; head: string | null }>(
        `SELECT COUNT(*) AS n, MAX(id) AS last, (SELECT last_id FROM doc_heads WHERE doc = $1) AS head
         FROM doc_updates WHERE doc = $1`,
        [doc],
      );
      const row = r.rows[0];
      const count = Number(row?.n ?? 0);
      const lastId = Number(row?.last ?? 0);
      return { count, lastId, compacted: count === 1 && row?.head != null && Number(row.head) === lastId };
    },
  };
}
