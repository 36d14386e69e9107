import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';

/**
 * A Yjs v1 update read the way `Y.applyUpdate` reads it (yjs 13.6 `readClientsStructRefs` and
 * `readAndApplyDeleteSet`), into plain records, so `inspectUpdate` can replay Yjs's integration without
 * touching a document. `Y.decodeUpdate` reads differently where it matters to a hostile update: it keeps
 * both runs of a client listed twice (Yjs keeps the last) and reads a Skip with flag bits as content.
 */

export type Id = { client: number; clock: number };

export type StructRef =
  | { kind: 'gc' | 'skip'; client: number; clock: number; length: number }
  | {
      kind: 'item';
      client: number;
      clock: number;
      length: number;
      origin: Id | null;
      rightOrigin: Id | null;
      /** The root type named by the update (no origin on either side), else null. */
      parent: string | null;
      parentSub: string | null;
      /** ContentAny values, or null for ContentDeleted. */
      values: unknown[] | null;
    };

export type DeleteRange = { client: number; clock: number; len: number };

export type UpdateRefs = {
  /** Client id → its structs in clock order, as `readClientsStructRefs` keeps them (a repeated client: the last run). */
  clients: Map<number, StructRef[]>;
  /** The delete set's ranges in the order the update lists them. */
  deletes: DeleteRange[];
};

const BITS5 = 31;
const BIT6 = 32;
const BIT7 = 64;
const BIT8 = 128;
const CONTENT_DELETED = 1;
const CONTENT_ANY = 8;
const SKIP = 10;

/** Throws on content our documents never hold (text, nested types, …): the scan refuses those first. */
export function readUpdateRefs(update: Uint8Array): UpdateRefs {
  const d = new Y.UpdateDecoderV1(decoding.createDecoder(update));
  const clients = new Map<number, StructRef[]>();
  const runs = decoding.readVarUint(d.restDecoder);
  for (let r = 0; r < runs; r++) {
    const count = decoding.readVarUint(d.restDecoder);
    const client = d.readClient();
    let clock = decoding.readVarUint(d.restDecoder);
    const refs: StructRef[] = [];
    clients.set(client, refs);
    for (let s = 0; s < count; s++) {
      const info = d.readInfo();
      const ref = info & BITS5;
      if (ref === 0) {
        const length = d.readLen();
        refs.push({ kind: 'gc', client, clock, length });
        clock += length;
        continue;
      }
      if (ref === SKIP) {
        const length = decoding.readVarUint(d.restDecoder);
        refs.push({ kind: 'skip', client, clock, length });
        clock += length;
        continue;
      }
      const origin = (info & BIT8) === BIT8 ? d.readLeftID() : null;
      const rightOrigin = (info & BIT7) === BIT7 ? d.readRightID() : null;
      const cantCopyParentInfo = (info & (BIT7 | BIT8)) === 0;
      let parent: string | null = null;
      if (cantCopyParentInfo) {
        if (!d.readParentInfo()) throw new Error('items inside nested types are not supported');
        parent = d.readString();
      }
      const parentSub = cantCopyParentInfo && (info & BIT6) === BIT6 ? d.readString() : null;
      let values: unknown[] | null;
      let length: number;
      if (ref === CONTENT_DELETED) {
        length = d.readLen();
        values = null;
      } else if (ref === CONTENT_ANY) {
        length = d.readLen();
        values = [];
        for (let i = 0; i < length; i++) values.push(d.readAny());
      } else throw new Error(`content kind ${ref} is not supported`);
      refs.push({
        kind: 'item',
        client,
        clock,
        length,
        origin: origin && { client: origin.client, clock: origin.clock },
        rightOrigin: rightOrigin && { client: rightOrigin.client, clock: rightOrigin.clock },
        parent,
        parentSub,
        values,
      });
      clock += length;
    }
  }
  const deletes: DeleteRange[] = [];
  const dsClients = decoding.readVarUint(d.restDecoder);
  for (let c = 0; c < dsClients; c++) {
    d.resetDsCurVal();
    const client = decoding.readVarUint(d.restDecoder);
    const n = decoding.readVarUint(d.restDecoder);
    for (let i = 0; i < n; i++) deletes.push({ client, clock: d.readDsClock(), len: d.readDsLen() });
  }
  return { clients, deletes };
}
