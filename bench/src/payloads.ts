/**
 * Benchmark payloads that the receiver can check byte for byte. Each payload is
 * run tag (4 bytes) || sequence number (4 bytes) || body, where the body is one of a pool of
 * random bodies picked by the sequence number, so loss, duplication and corruption all show.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';

/** Bytes before the body: run tag and sequence number, both uint32 big-endian. */
export const PAYLOAD_PREFIX_BYTES = 8;
const POOL_SIZE = 64;

/** Outcome of checking one received payload. */
export type PayloadCheck =
  | { ok: true; seq: number }
  | { ok: false; reason: 'foreign' | 'length' | 'content'; seq: number };

/** Produces numbered payloads of one size and checks received ones against what was sent. */
export class PayloadSource {
  readonly size: number;
  readonly #tag: number;
  readonly #bodies: Buffer[];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < PAYLOAD_PREFIX_BYTES) {
      throw new RangeError(`payload size must be an integer of at least ${PAYLOAD_PREFIX_BYTES} bytes, got ${size}`);
    }
    this.size = size;
    this.#tag = randomBytes(4).readUInt32BE(0);
    this.#bodies = Array.from({ length: POOL_SIZE }, () => randomBytes(size - PAYLOAD_PREFIX_BYTES));
  }

  /** Builds the payload for sequence number `seq` in a new buffer. */
  make(seq: number): Buffer {
    const payload = Buffer.allocUnsafe(this.size);
    payload.writeUInt32BE(this.#tag, 0);
    payload.writeUInt32BE(seq, 4);
    (this.#bodies[seq % POOL_SIZE] as Buffer).copy(payload, PAYLOAD_PREFIX_BYTES);
    return payload;
  }

  /** Checks that `payload` is exactly the bytes that make(seq) produced for its sequence number. */
  check(payload: Uint8Array): PayloadCheck {
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    if (bytes.length < PAYLOAD_PREFIX_BYTES) return { ok: false, reason: 'length', seq: -1 };
    const seq = bytes.readUInt32BE(4);
    if (bytes.readUInt32BE(0) !== this.#tag) return { ok: false, reason: 'foreign', seq };
    if (bytes.length !== this.size) return { ok: false, reason: 'length', seq };
    const body = this.#bodies[seq % POOL_SIZE] as Buffer;
    if (!body.equals(bytes.subarray(PAYLOAD_PREFIX_BYTES))) return { ok: false, reason: 'content', seq };
    return { ok: true, seq };
  }
}
