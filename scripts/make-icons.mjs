#!/usr/bin/env node
// Draws the app icons (a white speech bubble on aubergine) as PNGs with zlib alone, so no image tool is
// needed. Run once; the PNGs are committed under client/public/icons.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};

function png(size, maskable) {
  const bg = [0x4a, 0x15, 0x4b];
  const rows = [];
  const r = maskable ? 0 : size * 0.18; // corner radius
  const inset = maskable ? size * 0.2 : size * 0.16; // maskable keeps the mark in the safe zone
  for (let y = 0; y < size; y++) {
    const row = [0];
    for (let x = 0; x < size; x++) {
      // Rounded-square background.
      const dx = Math.max(r - x, 0, x - (size - 1 - r));
      const dy = Math.max(r - y, 0, y - (size - 1 - r));
      const inside = dx * dx + dy * dy <= r * r;
      // Bubble: an ellipse plus a tail at the lower left.
      const cx = size / 2;
      const cy = size * 0.46;
      const rx = (size - 2 * inset) / 2;
      const ry = rx * 0.72;
      const inBubble = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
      const tx = x - (cx - rx * 0.55);
      const ty = y - (cy + ry * 0.55);
      const inTail = ty >= 0 && ty <= size * 0.16 && tx >= -ty * 0.6 && tx <= size * 0.12 - ty * 0.75;
      const white = inBubble || inTail;
      if (!inside) row.push(0, 0, 0, 0);
      else if (white) row.push(255, 255, 255, 255);
      else row.push(...bg, 255);
    }
    rows.push(Buffer.from(row));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const out = join(import.meta.dirname, '..', 'client', 'public', 'icons');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'icon-192.png'), png(192, false));
writeFileSync(join(out, 'icon-512.png'), png(512, false));
writeFileSync(join(out, 'icon-maskable-512.png'), png(512, true));
console.log(`icons written to ${out}`);
