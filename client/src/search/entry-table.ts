/**
 * What the device index keeps of each message beside its terms (issue 16): which conversation and key, the
 * author, the time, whether it is a reply or has a link, the segment holding it (P13: the feed removes a
 * message only when its segment's documents are loaded) and the signature of the indexed version (feed.ts
 * diffs against it). One slot per message in typed arrays, the slot being the message's id inside
 * MiniSearch: an object per message (MiniSearch's stored fields) and a second map of versions cost about
 * 15 MB at 100,000 messages, this about 5 (docs/SEARCH.md). Conversation and person ids are held once each.
 */

const LINK = 1;
const REPLY = 2;

/** The table as saved beside MiniSearch's JSON: columns of the slots in use. */
type Saved = {
  convs: string[];
  people: string[];
  slot: number[];
  conv: number[];
  key: string[];
  author: number[];
  ts: number[];
  flags: number[];
  sig: number[];
  seg: number[];
  parent: [slot: number, key: string][];
};

export type Entry = {
  conversationId: string;
  key: string;
  authorId: string;
  ts: number;
  parent: string | null;
  hasLink: boolean;
  sig: number;
  segment: number;
};

function grow<T extends Uint32Array | Float64Array | Uint8Array>(a: T, size: number): T {
  if (size <= a.length) return a;
  const next = new (a.constructor as new (n: number) => T)(Math.max(size, a.length * 2));
  next.set(a);
  return next;
}

export function createEntryTable() {
  /** Interned ids: each conversation and person once, a slot refers to them by number. */
  const convs: string[] = [];
  const convNo = new Map<string, number>();
  const people: string[] = [];
  const personNo = new Map<string, number>();
  const intern = (id: string, list: string[], no: Map<string, number>): number => {
    let n = no.get(id);
    if (n === undefined) {
      n = list.length;
      list.push(id);
      no.set(id, n);
    }
    return n;
  };

  let conv = new Uint32Array(1024);
  let author = new Uint32Array(1024);
  let ts = new Float64Array(1024);
  let flags = new Uint8Array(1024);
  let sig = new Uint32Array(1024);
  let seg = new Uint32Array(1024);
  const keys: (string | undefined)[] = [];
  const parents = new Map<number, string>();
  /** conversation → key → slot. */
  const slots = new Map<string, Map<string, number>>();
  const free: number[] = [];
  let used = 0;

  const place = (slot: number, e: Entry): void => {
    const size = slot + 1;
    [conv, author, ts, flags, sig, seg] = [
      grow(conv, size),
      grow(author, size),
      grow(ts, size),
      grow(flags, size),
      grow(sig, size),
      grow(seg, size),
    ];
    const c = intern(e.conversationId, convs, convNo);
    conv[slot] = c;
    author[slot] = intern(e.authorId, people, personNo);
    ts[slot] = e.ts;
    flags[slot] = (e.hasLink ? LINK : 0) | (e.parent !== null ? REPLY : 0);
    sig[slot] = e.sig;
    seg[slot] = e.segment;
    const conversationId = convs[c] as string;
    let inConv = slots.get(conversationId);
    if (!inConv) slots.set(conversationId, (inConv = new Map()));
    const key = inConv.has(e.key) ? (keys[slot] ?? e.key) : e.key;
    keys[slot] = key;
    inConv.set(key, slot);
    if (e.parent !== null) parents.set(slot, e.parent);
    else parents.delete(slot);
    if (slot >= used) used = slot + 1;
  };

  return {
    slotOf: (conversationId: string, key: string): number | undefined => slots.get(conversationId)?.get(key),
    /** Writes an entry, in its existing slot when it has one; returns the slot. */
    put(e: Entry): number {
      const slot = slots.get(e.conversationId)?.get(e.key) ?? free.pop() ?? used;
      place(slot, e);
      return slot;
    },
    /** Frees a message's slot; returns it, or undefined when the message was not there. */
    remove(conversationId: string, key: string): number | undefined {
      const inConv = slots.get(conversationId);
      const slot = inConv?.get(key);
      if (inConv === undefined || slot === undefined) return undefined;
      inConv.delete(key);
      if (inConv.size === 0) slots.delete(conversationId);
      keys[slot] = undefined;
      parents.delete(slot);
      free.push(slot);
      return slot;
    },
    keysOf: (conversationId: string): string[] => [...(slots.get(conversationId)?.keys() ?? [])],
    conversationOf: (slot: number): string => convs[conv[slot] ?? 0] as string,
    inConversation: (slot: number, conversationId: string): boolean =>
      convNo.get(conversationId) === conv[slot] && keys[slot] !== undefined,
    key: (slot: number): string => keys[slot] ?? '',
    author: (slot: number): string => people[author[slot] ?? 0] as string,
    isAuthor: (slot: number, authorId: string): boolean => personNo.get(authorId) === author[slot],
    ts: (slot: number): number => ts[slot] ?? 0,
    parent: (slot: number): string | null => parents.get(slot) ?? null,
    /** The segment holding the message (P13). */
    segment: (slot: number): number => seg[slot] ?? 0,
    hasLink: (slot: number): boolean => ((flags[slot] ?? 0) & LINK) !== 0,
    isReply: (slot: number): boolean => ((flags[slot] ?? 0) & REPLY) !== 0,
    /** Which version of each message is held, and in which segment, for the feed (feed.ts). */
    manifest(): [conversationId: string, entries: [key: string, sig: number, segment: number][]][] {
      return [...slots].map(([c, m]) => [
        c,
        [...m].map(([k, s]): [string, number, number] => [k, sig[s] ?? 0, seg[s] ?? 0]),
      ]);
    },
    /** Only what the slots in use refer to: a conversation left leaves no trace of its id (privacy). */
    toJSON(): Saved {
      const out: Saved = {
        convs: [],
        people: [],
        slot: [],
        conv: [],
        key: [],
        author: [],
        ts: [],
        flags: [],
        sig: [],
        seg: [],
        parent: [...parents],
      };
      const convOut = new Map<string, number>();
      const personOut = new Map<string, number>();
      for (let s = 0; s < used; s++) {
        const k = keys[s];
        if (k === undefined) continue;
        out.slot.push(s);
        out.conv.push(intern(convs[conv[s] ?? 0] as string, out.convs, convOut));
        out.key.push(k);
        out.author.push(intern(people[author[s] ?? 0] as string, out.people, personOut));
        out.ts.push(ts[s] ?? 0);
        out.flags.push(flags[s] ?? 0);
        out.sig.push(sig[s] ?? 0);
        out.seg.push(seg[s] ?? 0);
      }
      return out;
    },
    /** Reads a saved table back (into an empty one). */
    load(json: string): void {
      const t = JSON.parse(json) as Saved;
      const parentOf = new Map(t.parent);
      t.slot.forEach((slot, i) =>
        place(slot, {
          conversationId: t.convs[t.conv[i] ?? 0] ?? '',
          key: t.key[i] ?? '',
          authorId: t.people[t.author[i] ?? 0] ?? '',
          ts: t.ts[i] ?? 0,
          parent: parentOf.get(slot) ?? null,
          hasLink: ((t.flags[i] ?? 0) & LINK) !== 0,
          sig: t.sig[i] ?? 0,
          segment: t.seg[i] ?? 0,
        }),
      );
      for (let s = 0; s < used; s++) if (keys[s] === undefined) free.push(s);
    },
  };
}

export type EntryTable = ReturnType<typeof createEntryTable>;
