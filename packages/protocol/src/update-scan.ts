import { ByteReader, DecodeError } from './byte-reader.ts';
import { LIMITS } from './limits.ts';

/**
 * Reads a Yjs v1 update without applying it, enforcing limits before Yjs ever sees the bytes.
 *
 * Why: Yjs trusts the counts an update declares. A 30-byte update can claim trillions of structs and hang or
 * exhaust the decoder (yjs#687, yjs#479); a tiny GC struct can claim a huge clock range. Walking the format
 * ourselves bounds the work by the bytes actually received, and lets us refuse content kinds our documents
 * never use (nested types, text, XML, subdocuments) before anything is integrated.
 */

export type ScanLimits = {
  maxStructs: number;
  maxClockSpan: number;
  maxValueDepth: number;
  /** Root type names an update may attach items to. */
  allowedRoots: ReadonlySet<string>;
};

/**
 * Where one item of an update attaches: what Yjs will scan when it integrates the item (its concurrent
 * siblings between `origin` and `right`). `root` and `key` are set only when the update names the parent
 * itself (no origin on either side). Clocks are the item's own and its neighbours' ids.
 */
export type ItemAnchor = {
  origin: readonly [client: number, clock: number] | null;
  right: readonly [client: number, clock: number] | null;
  root: string | null;
  key: string | null;
};

export type ScanResult =
  | {
      ok: true;
      structs: number;
      deletes: number;
      roots: string[];
      /** The Yjs client ids this update writes structs as (not those whose items it only deletes). */
      clients: number[];
      /** Each item's anchors, in the update's order: what the merge cost is estimated from. */
      items: ItemAnchor[];
    }
  | { ok: false; reason: string };

const CONTENT_GC = 0;
const CONTENT_DELETED = 1;
const CONTENT_ANY = 8;
const CONTENT_SKIP = 10;
const CONTENT_NAMES = [
  'gc',
  'deleted',
  'json',
  'binary',
  'string',
  'embed',
  'format',
  'type',
  'any',
  'doc',
  'skip',
];

const MAX_CLIENT_ID = 0xffffffff;

const PROTO_KEY = new TextEncoder().encode('__proto__');
const isProtoKey = (key: Uint8Array): boolean =>
  key.length === PROTO_KEY.length && key.every((b, i) => b === PROTO_KEY[i]);

function skipAny(r: ByteReader, depth: number, maxDepth: number): void {
  if (depth > maxDepth) throw new DecodeError('value nested too deeply');
  const t = r.byte();
  switch (t) {
    case 127: // undefined
    case 126: // null
    case 121: // false
    case 120: // true
      return;
    case 125:
      r.varInt();
      return;
    case 124:
      r.skip(4);
      return;
    case 123:
    case 122:
      r.skip(8);
      return;
    case 119:
      r.skip(r.varUint());
      return;
    case 118: {
      const n = r.varUint();
      if (n > r.remaining) throw new DecodeError('object length exceeds input');
      for (let i = 0; i < n; i++) {
        // lib0's readAny assigns `obj[key] = value`: a "__proto__" key sets the object's prototype, so the
        // record the server validates (through inheritance) is not the one clients see or re-encode.
        if (isProtoKey(r.bytesOf(r.varUint())))
          throw new DecodeError('object key "__proto__" is not allowed');
        skipAny(r, depth + 1, maxDepth);
      }
      return;
    }
    case 117: {
      const n = r.varUint();
      if (n > r.remaining) throw new DecodeError('array length exceeds input');
      for (let i = 0; i < n; i++) skipAny(r, depth + 1, maxDepth);
      return;
    }
    case 116:
      r.skip(r.varUint());
      return;
    default:
      throw new DecodeError(`unknown value type ${t}`);
  }
}

export function scanUpdate(update: Uint8Array, limits: ScanLimits): ScanResult {
  const scan = new UpdateScan(new ByteReader(update), limits);
  try {
    scan.readStructs();
    scan.readDeleteSet();
    if (scan.r.remaining !== 0) throw new DecodeError('trailing bytes after update');
    const { structs, deletes, roots, writers, items } = scan;
    return { ok: true, structs, deletes, roots: [...roots], clients: [...writers], items };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, reason: e.message };
    return { ok: false, reason: 'undecodable update' };
  }
}

/** One pass over an update's bytes: the struct section, then the delete set. Throws `DecodeError`. */
class UpdateScan {
  structs = 0;
  deletes = 0;
  private span = 0;
  readonly roots = new Set<string>();
  readonly writers = new Set<number>();
  readonly items: ItemAnchor[] = [];

  constructor(
    readonly r: ByteReader,
    private readonly limits: ScanLimits,
  ) {}

  // Work is bounded by counting what the bytes hold, never by the clock: a server paused by GC or CPU
  // steal mid-scan would otherwise refuse an honest update as malformed, a terminal close (P10, A5).
  private count(n: number): void {
    this.structs += n;
    if (this.structs > this.limits.maxStructs) throw new DecodeError('too many structs in one update');
  }

  private addSpan(n: number): void {
    this.span += n;
    if (this.span > this.limits.maxClockSpan) throw new DecodeError('update claims too large a clock range');
  }

  readStructs(): void {
    const r = this.r;
    const clients = r.varUint();
    if (clients > r.remaining) throw new DecodeError('client count exceeds input');
    for (let c = 0; c < clients; c++) {
      const n = r.varUint();
      // Every struct costs at least one byte, so a count beyond the input is a lie (the yjs#687 shape).
      if (n > r.remaining) throw new DecodeError('struct count exceeds input');
      this.count(n);
      const client = r.varUint();
      if (client > MAX_CLIENT_ID) throw new DecodeError('client id out of range');
      if (n > 0) this.writers.add(client);
      r.varUint(); // first clock
      for (let s = 0; s < n; s++) this.readStruct();
    }
  }

  private readStruct(): void {
    const r = this.r;
    const info = r.byte();
    const ref = info & 0x1f;
    if (ref === CONTENT_GC || ref === CONTENT_SKIP) {
      const len = r.varUint();
      if (len === 0) throw new DecodeError('empty range');
      this.addSpan(len);
      return;
    }
    this.items.push(this.readAnchor(info));
    if (ref === CONTENT_DELETED) {
      const len = r.varUint();
      if (len === 0) throw new DecodeError('empty range');
      this.addSpan(len);
    } else if (ref === CONTENT_ANY) {
      const len = r.varUint();
      if (len === 0 || len > r.remaining) throw new DecodeError('value count exceeds input');
      this.count(len - 1);
      this.addSpan(len);
      for (let i = 0; i < len; i++) skipAny(r, 0, this.limits.maxValueDepth);
    } else {
      throw new DecodeError(`content kind "${CONTENT_NAMES[ref] ?? ref}" is not allowed`);
    }
  }

  /** An item's origins, or (with neither) the root and map key it names. */
  private readAnchor(info: number): ItemAnchor {
    const r = this.r;
    const hasOrigin = (info & 0x80) !== 0;
    const hasRightOrigin = (info & 0x40) !== 0;
    const anchor: ItemAnchor = {
      origin: hasOrigin ? [r.varUint(), r.varUint()] : null,
      right: hasRightOrigin ? [r.varUint(), r.varUint()] : null,
      root: null,
      key: null,
    };
    if (!hasOrigin && !hasRightOrigin) {
      if (r.varUint() !== 1) throw new DecodeError('items inside nested types are not allowed');
      const root = r.varString(LIMITS.maxDocNameLength);
      if (!this.limits.allowedRoots.has(root)) throw new DecodeError(`unknown root "${root}"`);
      this.roots.add(root);
      anchor.root = root;
      if ((info & 0x20) !== 0) anchor.key = r.varString(LIMITS.maxDocNameLength); // map key
    }
    return anchor;
  }

  readDeleteSet(): void {
    const r = this.r;
    const dsClients = r.varUint();
    if (dsClients > r.remaining) throw new DecodeError('delete-set client count exceeds input');
    for (let c = 0; c < dsClients; c++) {
      const client = r.varUint();
      if (client > MAX_CLIENT_ID) throw new DecodeError('client id out of range');
      const n = r.varUint();
      if (n > r.remaining) throw new DecodeError('delete count exceeds input');
      this.deletes += n;
      this.count(n);
      for (let d = 0; d < n; d++) {
        r.varUint();
        const len = r.varUint();
        if (len === 0) throw new DecodeError('empty range');
        this.addSpan(len);
      }
    }
  }
}

/** Reads a Yjs state vector with the same care: client → clock pairs, bounded by the input. */
export function scanStateVector(sv: Uint8Array): { ok: true } | { ok: false; reason: string } {
  try {
    const r = new ByteReader(sv);
    const n = r.varUint();
    if (n > r.remaining) throw new DecodeError('state vector length exceeds input');
    for (let i = 0; i < n; i++) {
      if (r.varUint() > MAX_CLIENT_ID) throw new DecodeError('client id out of range');
      r.varUint();
    }
    if (r.remaining !== 0) throw new DecodeError('trailing bytes after state vector');
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: e instanceof DecodeError ? e.message : 'undecodable state vector' };
  }
}
