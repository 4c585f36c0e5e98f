/** Input validators and byte helpers shared by the package. */

/** Throws a TypeError unless `value` is a Uint8Array, and a RangeError if its length differs from `length`. */
export function checkBytes(value: unknown, field: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${field} must be a Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${field} must be ${length} bytes long, got ${value.length} bytes`);
  }
  return value;
}

/** Throws a TypeError unless `value` is a string. */
export function checkString(value: unknown, field: string): string {
  if (typeof value !== 'string') {
    throw new TypeError(`${field} must be a string, got ${describe(value)}`);
  }
  return value;
}

/** Throws a TypeError unless `value` is an integer, and a RangeError if it is outside [min, max]. */
export function checkInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${field} must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${field} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  if (typeof value === 'string') return `a string of length ${value.length}`;
  return `${typeof value} ${String(value)}`;
}

/** Concatenates byte arrays into a new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Encodes a non-negative integer as `length` big-endian bytes (I2OSP in RFC 8017 section 4.1). */
export function i2osp(value: number | bigint, length: number): Uint8Array {
  let rest = BigInt(value);
  if (rest < 0n || rest >= 1n << BigInt(8 * length)) {
    throw new RangeError(`value must fit in ${length} unsigned bytes, got ${rest}`);
  }
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** Reads `bytes` as an unsigned big-endian integer. */
export function readUint(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** Returns true if every byte is zero. The loop does not exit early. */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const byte of bytes) acc |= byte;
  return acc === 0;
}

/** Compares two byte arrays without an early exit on the first differing byte. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Encodes bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += HEX[byte];
  return out;
}

const UTF8_ENCODER = new TextEncoder();

/** Encodes a string as UTF-8. */
export function utf8(text: string): Uint8Array {
  return UTF8_ENCODER.encode(text);
}

/** Largest value of an unsigned 64-bit integer. */
const MAX_UINT64 = (1n << 64n) - 1n;

/** Writes `value` as 8 big-endian bytes at `offset`. Raises RangeError unless 0 <= value < 2^64. */
export function writeUint64(target: Uint8Array, offset: number, value: bigint): void {
  if (value < 0n || value > MAX_UINT64) {
    throw new RangeError(`value must fit in 8 unsigned bytes, got ${value}`);
  }
  // Plain index writes: a DataView over a small typed array would force V8 to move its bytes
  // off the heap, which costs more than the write.
  if (value <= MAX_SAFE_BIGINT) {
    const number = Number(value);
    writeUint32(target, offset, Math.floor(number / 0x100000000));
    writeUint32(target, offset + 4, number >>> 0);
    return;
  }
  writeUint32(target, offset, Number(value >> 32n));
  writeUint32(target, offset + 4, Number(value & 0xffffffffn));
}

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

function writeUint32(target: Uint8Array, offset: number, word: number): void {
  target[offset] = word >>> 24;
  target[offset + 1] = (word >>> 16) & 0xff;
  target[offset + 2] = (word >>> 8) & 0xff;
  target[offset + 3] = word & 0xff;
}

/** Reads 8 big-endian bytes at `offset` as an unsigned integer. */
export function readUint64(source: Uint8Array, offset: number): bigint {
  const high = readUint32(source, offset);
  const low = readUint32(source, offset + 4);
  // Below 2^53 one BigInt conversion is enough; above it the halves are joined as BigInts.
  if (high < 0x200000) return BigInt(high * 0x100000000 + low);
  return (BigInt(high) << 32n) | BigInt(low);
}

function readUint32(source: Uint8Array, offset: number): number {
  const b0 = source[offset];
  const b1 = source[offset + 1];
  const b2 = source[offset + 2];
  const b3 = source[offset + 3];
  if (b0 === undefined || b1 === undefined || b2 === undefined || b3 === undefined) {
    throw new RangeError(`offset ${offset} is outside the ${source.length}-byte array`);
  }
  return ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
}

/**
 * Reads 8 big-endian bytes at `offset` as a number when the value is below 2^53, and as a bigint
 * above, so that the common case creates no BigInt.
 */
export function readSeq(source: Uint8Array, offset: number): number | bigint {
  const high = readUint32(source, offset);
  const low = readUint32(source, offset + 4);
  if (high < 0x200000) return high * 0x100000000 + low;
  return (BigInt(high) << 32n) | BigInt(low);
}

/** Writes a sequence number below 2^53 as 8 big-endian bytes at `offset`. */
export function writeSafeUint64(target: Uint8Array, offset: number, value: number): void {
  writeUint32(target, offset, Math.floor(value / 0x100000000));
  writeUint32(target, offset + 4, value >>> 0);
}

/** Size of the largest block of a BytePool. */
const POOL_CHUNK_BYTES = 16 * 1024;
/** Size of the first block, so that a pool used for a few small messages stays small. */
const POOL_FIRST_CHUNK_BYTES = 2 * 1024;
/** Largest request a BytePool serves from a block; larger ones get arrays of their own. */
const POOL_MAX_REQUEST = 4 * 1024;

/**
 * Hands out views into shared blocks, as Node.js does for small Buffers: a new Uint8Array with
 * memory of its own costs several times more than a view, and envelopes and plaintexts are
 * allocated once per message. Blocks start at 2 KiB and double up to 16 KiB, so that the many
 * sealers of a process that sends few messages each hold little memory. A view's `buffer` contains
 * other messages of the same sealer or opener, so a caller that needs the bytes alone copies them
 * with slice().
 */
export class BytePool {
  #chunk = new ArrayBuffer(0);
  #used = 0;
  #nextChunkBytes = POOL_FIRST_CHUNK_BYTES;

  /** Returns `length` zero bytes. Views never overlap and are never handed out twice. */
  take(length: number): Uint8Array {
    if (length > POOL_MAX_REQUEST) return new Uint8Array(length);
    // A block whose ArrayBuffer a caller transferred (postMessage) or detached has length 0 and is
    // replaced, so that later messages still get memory.
    if (this.#used + length > this.#chunk.byteLength || this.#chunk.byteLength === 0) {
      const size = Math.max(this.#nextChunkBytes, length);
      this.#chunk = new ArrayBuffer(size);
      this.#used = 0;
      this.#nextChunkBytes = Math.min(size * 2, POOL_CHUNK_BYTES);
    }
    const view = new Uint8Array(this.#chunk, this.#used, length);
    // Each view starts on an 8-byte boundary.
    this.#used += (length + 7) & ~7;
    return view;
  }
}
