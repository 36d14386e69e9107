import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createImagePool } from '../src/files/image-pool.ts';

/**
 * The image worker takes one picture at a time, in order (files/image-worker.mjs): a large photo sent
 * first is finished before a tiny one sent just after it, which running them side by side would finish
 * first. Real worker thread, real sharp, real files in a temp folder.
 */

const dir = mkdtempSync(join(tmpdir(), 'commonroom-images-'));
const pool = createImagePool();
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

async function noiseJpeg(name: string, side: number): Promise<string> {
  const path = join(dir, name);
  await sharp({
    create: {
      width: side,
      height: side,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .jpeg()
    .toFile(path);
  return path;
}

describe('image worker (issue 17)', () => {
  it('runs its jobs one at a time, in the order they came', async () => {
    const big = await noiseJpeg('big.jpg', 3000);
    const small = await noiseJpeg('small.jpg', 8);
    const finished: string[] = [];
    const job = (name: string, input: string) =>
      pool
        .run({
          input,
          display: join(dir, `${name}.display`),
          thumb: join(dir, `${name}.thumb`),
          format: 'jpeg',
        })
        .then((size) => {
          finished.push(name);
          return size;
        });
    const sizes = await Promise.all([job('big', big), job('small', small)]);
    expect(finished).toEqual(['big', 'small']);
    expect(sizes).toEqual([
      { width: 2048, height: 2048 },
      { width: 8, height: 8 },
    ]);
  });
});
