import type { Db } from './db.ts';

/**
 * The safeguarding store (issue 14): leads, the queue's items (reports and keyword alerts), the reporters
 * of each report, append-only notes (triggers refuse UPDATE and DELETE), and the keyword list. Read and
 * written only through the safeguarding service, which checks that the caller is a lead.
 */
export type SafeguardingStore = ReturnType<typeof createSafeguardingStore>;

export type ItemRow = {
  id: number;
  kind: 'report' | 'keyword';
  conversationId: string;
  authorId: string;
  localId: string;
  status: 'new' | 'in_review' | 'closed';
  outcome: string | null;
  assigneeId: string | null;
  matched: string[];
  excerpt: string;
  writtenAt: number | null;
  receivedAt: number | null;
  createdAt: number;
  updatedAt: number;
};

type RawItem = {
  id: number;
  kind: 'report' | 'keyword';
  conversation_id: string;
  author_id: string;
  local_id: string;
  status: 'new' | 'in_review' | 'closed';
  outcome: string | null;
  assignee_id: string | null;
  matched: string;
  excerpt: string;
  written_at: number | null;
  received_at: number | null;
  created_at: number;
  updated_at: number;
};

const fromRaw = (r: RawItem): ItemRow => ({
  id: r.id,
  kind: r.kind,
  conversationId: r.conversation_id,
  authorId: r.author_id,
  localId: r.local_id,
  status: r.status,
  outcome: r.outcome,
  assigneeId: r.assignee_id,
  matched: JSON.parse(r.matched) as string[],
  excerpt: r.excerpt,
  writtenAt: r.written_at,
  receivedAt: r.received_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export type ReporterRow = {
  reporterId: string;
  reportId: string;
  reason: string;
  detail: string;
  at: number;
};

export function createSafeguardingStore(db: Db, now: () => number) {
  const isLead = db.prepare<[string], { n: number }>(
    'SELECT COUNT(*) AS n FROM safeguarding_leads WHERE user_id = ?',
  );
  const getItem = db.prepare<[number], RawItem>('SELECT * FROM safeguarding_items WHERE id = ?');
  const reportItem = db.prepare<[string, string, string], RawItem>(
    "SELECT * FROM safeguarding_items WHERE kind = 'report' AND conversation_id = ? AND author_id = ? AND local_id = ?",
  );
  const insertItem = db.prepare(
    `INSERT INTO safeguarding_items (kind, conversation_id, author_id, local_id, matched, excerpt, written_at,
       received_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const byReportId = db.prepare<[string], { item_id: number }>(
    'SELECT item_id FROM safeguarding_reporters WHERE report_id = ?',
  );
  const reporterOf = db.prepare<[number, string], { n: number }>(
    'SELECT COUNT(*) AS n FROM safeguarding_reporters WHERE item_id = ? AND reporter_id = ?',
  );
  const insertReporter = db.prepare(
    'INSERT INTO safeguarding_reporters (item_id, reporter_id, report_id, reason, detail, at) VALUES (?, ?, ?, ?, ?, ?)',
  );

  return {
    isLead: (userId: string): boolean => (isLead.get(userId)?.n ?? 0) > 0,
    leads: (): string[] =>
      db
        .prepare<[], { user_id: string }>('SELECT user_id FROM safeguarding_leads')
        .all()
        .map((r) => r.user_id),
    setLead(userId: string, lead: boolean, by: string): boolean {
      const r = lead
        ? db
            .prepare(
              'INSERT OR IGNORE INTO safeguarding_leads (user_id, granted_by, granted_at) VALUES (?, ?, ?)',
            )
            .run(userId, by, now())
        : db.prepare('DELETE FROM safeguarding_leads WHERE user_id = ?').run(userId);
      return r.changes > 0;
    },

    /**
     * Files one person's report of one message: the message's report item is made on the first report and
     * shared by every later one (one item, several reporters). The same report id again, or the same
     * reporter again, changes nothing. Returns the item and whether this call added a reporter.
     */
    fileReport: db.transaction(
      (r: {
        reportId: string;
        reporterId: string;
        conversationId: string;
        authorId: string;
        localId: string;
        reason: string;
        detail: string;
        excerpt: string;
        writtenAt: number;
        receivedAt: number;
      }): { itemId: number; added: boolean; newItem: boolean } => {
        const again = byReportId.get(r.reportId);
        if (again) return { itemId: again.item_id, added: false, newItem: false };
        const at = now();
        let item = reportItem.get(r.conversationId, r.authorId, r.localId);
        const newItem = !item;
        if (!item) {
          insertItem.run(
            'report',
            r.conversationId,
            r.authorId,
            r.localId,
            '[]',
            r.excerpt,
            r.writtenAt,
            r.receivedAt,
            at,
            at,
          );
          item = reportItem.get(r.conversationId, r.authorId, r.localId);
        }
        if (!item) throw new Error('report item vanished');
        if ((reporterOf.get(item.id, r.reporterId)?.n ?? 0) > 0)
          return { itemId: item.id, added: false, newItem: false };
        insertReporter.run(item.id, r.reporterId, r.reportId, r.reason, r.detail, at);
        // A closed case reported again is open again: someone is still worried about it.
        db.prepare(
          "UPDATE safeguarding_items SET updated_at = ?, status = CASE status WHEN 'closed' THEN 'new' ELSE status END WHERE id = ?",
        ).run(at, item.id);
        return { itemId: item.id, added: true, newItem };
      },
    ),

    /** A keyword alert: one item per matching message or edit. */
    raiseKeyword(a: {
      conversationId: string;
      authorId: string;
      localId: string;
      matched: string[];
      excerpt: string;
      writtenAt: number;
      receivedAt: number;
    }): number {
      const at = now();
      const r = insertItem.run(
        'keyword',
        a.conversationId,
        a.authorId,
        a.localId,
        JSON.stringify(a.matched),
        a.excerpt,
        a.writtenAt,
        a.receivedAt,
        at,
        at,
      );
      return Number(r.lastInsertRowid);
    },

    item: (id: number): ItemRow | null => {
      const r = getItem.get(id);
      return r ? fromRaw(r) : null;
    },
    /**
     * Up to `limit` items, newest first, older than item `before` when given (keyset paging: the id is
     * unique and only grows, so a page never repeats or skips an item however many arrive meanwhile, and
     * no OFFSET walks the rows before it). `status` filters (open = not closed).
     */
    list(
      status: 'open' | 'new' | 'in_review' | 'closed' | 'all',
      limit: number,
      before: number | null = null,
    ): ItemRow[] {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (status === 'open') where.push("status != 'closed'");
      else if (status !== 'all') {
        where.push('status = ?');
        args.push(status);
      }
      if (before !== null) {
        where.push('id < ?');
        args.push(before);
      }
      args.push(limit);
      return db
        .prepare<(string | number)[], RawItem>(
          `SELECT * FROM safeguarding_items ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY id DESC LIMIT ?`,
        )
        .all(...args)
        .map(fromRaw);
    },
    /** The newest item, for the leads' "a new report arrived" notice. */
    latest: (): { id: number; kind: 'report' | 'keyword' } | null =>
      db
        .prepare<[], { id: number; kind: 'report' | 'keyword' }>(
          'SELECT id, kind FROM safeguarding_items ORDER BY id DESC LIMIT 1',
        )
        .get() ?? null,
    openCount: (): number =>
      db
        .prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM safeguarding_items WHERE status != 'closed'")
        .get()?.n ?? 0,
    update(
      id: number,
      change: { status?: string; outcome?: string | null; assigneeId?: string | null },
    ): void {
      const cur = getItem.get(id);
      if (!cur) return;
      db.prepare(
        'UPDATE safeguarding_items SET status = ?, outcome = ?, assignee_id = ?, updated_at = ? WHERE id = ?',
      ).run(
        change.status ?? cur.status,
        change.outcome !== undefined ? change.outcome : cur.outcome,
        change.assigneeId !== undefined ? change.assigneeId : cur.assignee_id,
        now(),
        id,
      );
    },
    reporters: (itemId: number): ReporterRow[] =>
      db
        .prepare<[number], ReporterRow>(
          'SELECT reporter_id AS reporterId, report_id AS reportId, reason, detail, at FROM safeguarding_reporters WHERE item_id = ? ORDER BY at, rowid',
        )
        .all(itemId),
    addNote(itemId: number, authorId: string, text: string): number {
      const r = db
        .prepare('INSERT INTO safeguarding_notes (item_id, author_id, text, at) VALUES (?, ?, ?, ?)')
        .run(itemId, authorId, text, now());
      return Number(r.lastInsertRowid);
    },
    notes: (itemId: number) =>
      db
        .prepare<[number], { id: number; authorId: string; text: string; at: number }>(
          'SELECT id, author_id AS authorId, text, at FROM safeguarding_notes WHERE item_id = ? ORDER BY id',
        )
        .all(itemId),
    keywords: (): string[] =>
      db
        .prepare<[], { phrase: string }>(
          'SELECT phrase FROM safeguarding_keywords ORDER BY phrase COLLATE NOCASE',
        )
        .all()
        .map((r) => r.phrase),
    setKeywords: db.transaction((phrases: readonly string[], by: string): void => {
      db.prepare('DELETE FROM safeguarding_keywords').run();
      const ins = db.prepare(
        'INSERT INTO safeguarding_keywords (phrase, added_by, added_at) VALUES (?, ?, ?)',
      );
      const at = now();
      for (const p of phrases) ins.run(p, by, at);
    }),
  };
}
