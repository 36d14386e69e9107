import { describe, expect, it } from 'vitest';
import { admitFiles, fileSize } from '../src/features/attachments/file-limits.ts';
import { uploadWords } from '../src/features/attachments/pending-uploads.tsx';
import { refusalFromBody } from '../src/attachments/upload-errors.ts';
import { attachmentIdOf, type PendingUpload } from '../src/attachments/upload-queue.ts';

const file = (name: string, size: number) => new File([new Uint8Array(size)], name);

describe('attachment words and checks (issue 17)', () => {
  it('sizes read as people read them', () => {
    expect([fileSize(900), fileSize(2048), fileSize(1.5 * 1024 * 1024), fileSize(25 * 1024 * 1024)]).toEqual([
      '900 bytes',
      '2 KB',
      '1.5 MB',
      '25 MB',
    ]);
  });

  it('refuses, before queueing, a file over the limit and an eleventh file, in plain words', () => {
    const over = admitFiles(0, [file('a.jpg', 11), file('b.jpg', 5)], 10);
    expect(over.ok.map((f) => f.name)).toEqual(['b.jpg']);
    expect(over.problem).toBe('a.jpg is 11 bytes: files can be up to 10 bytes.');
    const many = admitFiles(9, [file('c.txt', 1), file('d.txt', 1)], 10);
    expect(many.ok.map((f) => f.name)).toEqual(['c.txt']);
    expect(many.problem).toBe('A message can carry up to 10 files.');
  });

  it("takes the server's sentence for a refusal, and plain words when it gave a code only", () => {
    expect(refusalFromBody(413, '{"error":"Files can be up to 25 MB."}')).toBe('Files can be up to 25 MB');
    expect(refusalFromBody(413, '{"error":"too-big","message":"That file is too big."}')).toBe(
      'That file is too big',
    );
    expect(refusalFromBody(413, '{"error":"too-big"}')).toBe('the file is too big');
    expect(refusalFromBody(403, 'nope')).toBe('you can no longer post in this conversation');
  });

  it('the attachment id is the last part of the upload URL', () => {
    expect(attachmentIdOf('http://127.0.0.1:1/api/uploads/AbC_12-x')).toBe('AbC_12-x');
    expect(attachmentIdOf('/api/uploads/xyz?foo=1')).toBe('xyz');
  });

  it('says honestly what a waiting upload is doing', () => {
    const e = (over: Partial<PendingUpload>): PendingUpload => ({
      id: 'm',
      order: 1,
      conversationId: 'c',
      caption: '',
      createdAt: 1,
      files: [{ blob: new Blob(['x']), name: 'a', size: 200, type: 'text/plain', sent: 0 }],
      progress: { phase: 'waiting', sent: [0] },
      ...over,
    });
    expect(uploadWords(e({}), false)).toBe('Waiting for network');
    expect(uploadWords(e({ progress: { phase: 'uploading', sent: [90] } }), true)).toBe('Uploading 45%');
    expect(uploadWords(e({ progress: { phase: 'uploading', sent: [200] } }), true)).toBe(
      'Finishing the upload…',
    );
    expect(uploadWords(e({ failed: 'the file is too big' }), true)).toBe('Not sent: the file is too big.');
    expect(uploadWords(e({ failed: 'the file is too big' }), false)).toBe('Not sent: the file is too big.');
  });
});
