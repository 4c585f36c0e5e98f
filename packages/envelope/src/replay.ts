import { checkInteger } from './bytes.js';
import { ReplayError } from './errors.js';

/** Default number of sequence numbers tracked per session. */
export const DEFAULT_REPLAY_WINDOW = 1024;
/** Largest accepted replay window size. */
export const MAX_REPLAY_WINDOW = 1 << 20;

/**
 * Sliding window of accepted sequence numbers, as in the IPsec anti-replay window (RFC 4303
 * section 3.4.3). A bitmap tracks the sequence numbers up to `size - 1` below the highest accepted
 * one. Older ones are rejected, because the window can no longer tell whether they were seen.
 */
export class ReplayWindow {
  readonly size: number;
  readonly #bits: Uint8Array;
  #highest = -1n;

  constructor(size: number = DEFAULT_REPLAY_WINDOW) {
    this.size = checkInteger(size, 'replayWindow', 1, MAX_REPLAY_WINDOW);
    this.#bits = new Uint8Array(Math.ceil(size / 8));
  }

  /** Raises ReplayError if `seq` was already accepted or is older than the window. */
  check(seq: bigint): void {
    if (seq > this.#highest) return;
    if (this.#highest - seq >= BigInt(this.size)) throw new ReplayError(seq, 'too old');
    if (this.#get(seq)) throw new ReplayError(seq, 'duplicate');
  }

  /** Records `seq` as accepted. Call it only after the message authenticated. */
  accept(seq: bigint): void {
    this.check(seq);
    if (seq > this.#highest) this.#advance(seq);
    this.#set(seq);
  }

  #advance(seq: bigint): void {
    const distance = seq - this.#highest;
    if (distance >= BigInt(this.size)) {
      this.#bits.fill(0);
    } else {
      // Clear the slots that now belong to the new sequence numbers highest+1 .. seq.
      for (let s = this.#highest + 1n; s <= seq; s++) this.#clear(s);
    }
    this.#highest = seq;
  }

  #slot(seq: bigint): [number, number] {
    const index = Number(seq % BigInt(this.size));
    return [index >> 3, 1 << (index & 7)];
  }

  #get(seq: bigint): boolean {
    const [byte, mask] = this.#slot(seq);
    return ((this.#bits[byte] as number) & mask) !== 0;
  }

  #set(seq: bigint): void {
    const [byte, mask] = this.#slot(seq);
    this.#bits[byte] = (this.#bits[byte] as number) | mask;
  }

  #clear(seq: bigint): void {
    const [byte, mask] = this.#slot(seq);
    this.#bits[byte] = (this.#bits[byte] as number) & ~mask;
  }
}
