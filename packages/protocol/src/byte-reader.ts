/**
 * A bounds-checked reader for lib0-style varints, strings and byte arrays. lib0's own decoder reads past the
 * end of its buffer silently (yjs#479), so every read here checks what is left and throws `DecodeError`.
 */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

export class ByteReader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  byte(): number {
    const b = this.bytes[this.pos];
    if (b === undefined) throw new DecodeError('unexpected end of input');
    this.pos++;
    return b;
  }

  varUint(): number {
    let num = 0;
    let mult = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      num += (b & 0x7f) * mult;
      if (b < 0x80) {
        if (!Number.isSafeInteger(num)) throw new DecodeError('integer out of range');
        return num;
      }
      mult *= 128;
    }
    throw new DecodeError('varint too long');
  }

  /** lib0 signed varint: first byte carries 6 bits, a sign bit and a continuation bit. */
  varInt(): number {
    let b = this.byte();
    let num = b & 0x3f;
    let mult = 64;
    const negative = (b & 0x40) > 0;
    let i = 0;
    while ((b & 0x80) > 0) {
      if (++i > 8) throw new DecodeError('varint too long');
      b = this.byte();
      num += (b & 0x7f) * mult;
      mult *= 128;
    }
    if (!Number.isSafeInteger(num)) throw new DecodeError('integer out of range');
    return negative ? -num : num;
  }

  bytesOf(len: number): Uint8Array {
    if (len > this.remaining) throw new DecodeError('length exceeds input');
    const out = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  varBytes(): Uint8Array {
    return this.bytesOf(this.varUint());
  }

  varString(maxLength = Number.MAX_SAFE_INTEGER): string {
    const len = this.varUint();
    if (len > maxLength * 4) throw new DecodeError('string too long');
    try {
      const s = textDecoder.decode(this.bytesOf(len));
      if (s.length > maxLength) throw new DecodeError('string too long');
      return s;
    } catch (e) {
      if (e instanceof DecodeError) throw e;
      throw new DecodeError('invalid utf-8');
    }
  }

  skip(len: number): void {
    this.bytesOf(len);
  }
}
