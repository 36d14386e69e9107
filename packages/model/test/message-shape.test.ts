import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageRecord, summariseAuthorChanges } from '../src/index.ts';

/**
 * T3: the server's check of a new message record. Common shapes are checked by hand (the hot path); the
 * verdict and the record kept must be exactly the schema's, for anything a client could insert.
 */

const one = (v: unknown) =>
  summariseAuthorChanges({
    inserts: [{ root: 'msgs', key: null, values: [v], deleted: false }],
    removals: [],
    pending: false,
  });

const nearlyValid = fc.record(
  {
    id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), fc.string(), fc.constant(''), fc.integer()),
    text: fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constant('   '),
      fc.constant('x'.repeat(8_001)),
      fc.constant(3),
    ),
    ts: fc.oneof(
      fc.integer({ min: 0 }),
      fc.double(),
      fc.constant(-1),
      fc.constant(8_640_000_000_000_001),
      fc.constant(Number.NaN),
      fc.constant('1'),
    ),
    parent: fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_-]{1,40}:[A-Za-z0-9_-]{1,40}$/),
      fc.string(),
      fc.constant(undefined),
      fc.constant(null),
    ),
    alsoChannel: fc.oneof(fc.boolean(), fc.constant(undefined), fc.constant(1)),
    extra: fc.anything(),
  },
  { requiredKeys: ['id', 'text', 'ts'] },
);

describe('T3: new message records', () => {
  it('accepts and refuses exactly what MessageRecord does, keeping the same record (property)', () => {
    fc.assert(
      fc.property(fc.oneof(nearlyValid, fc.anything()), (v) => {
        const schema = MessageRecord.safeParse(v);
        const got = one(v);
        if (schema.success) {
          expect(got.ok).toBe(true);
          if (got.ok) expect(got.messages).toEqual([schema.data]);
        } else {
          expect(got).toEqual({
            ok: false,
            code: 'bad-message',
            message: schema.error.issues[0]?.message ?? 'invalid message',
          });
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('keeps a thread reply and "also send to channel"', () => {
    const v = { id: 'abc', text: 'reply', ts: 5, parent: 'u1:m1', alsoChannel: true };
    expect(one(v)).toMatchObject({ ok: true, messages: [v] });
    expect(one({ ...v, text: ' ' })).toMatchObject({ ok: false, code: 'bad-message' });
  });

  it('keeps attached files; a caption may then be empty, and the list is bounded (issue 17)', () => {
    const file = { id: 'f1', name: 'essay.pdf', size: 1234, type: 'application/pdf' };
    const photo = { id: 'f2', name: 'IMG_1.jpg', size: 99, type: 'image/jpeg', w: 640, h: 480 };
    const v = { id: 'abc', text: '', ts: 5, files: [file, photo] };
    expect(one(v)).toMatchObject({ ok: true, messages: [v] });
    expect(one({ ...v, files: [] })).toMatchObject({ ok: false, code: 'bad-message' });
    const eleven = Array.from({ length: 11 }, (_, i) => ({ ...file, id: `f${i}` }));
    expect(one({ ...v, files: eleven })).toMatchObject({
      ok: false,
      code: 'bad-message',
      message: 'at most 10 files per message',
    });
    expect(one({ ...v, files: [{ ...file, size: -1 }] })).toMatchObject({ ok: false, code: 'bad-message' });
    expect(one({ ...v, files: [{ ...file, id: 'no spaces' }] })).toMatchObject({ ok: false });
    expect(one({ ...v, files: [{ ...file, extra: 1 }] })).toMatchObject({ ok: false });
  });
});
