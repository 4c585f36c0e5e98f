import { checkBytes, checkInteger } from './bytes.js';
import { ReplayError } from './errors.js';

/** Default number of sequence numbers tracked per session. */
export const DEFAULT_REPLAY_WINDOW = 1024;
/** Largest accepted replay window size. */
export const MAX_REPLAY_WINDOW = 1 << 20;

/** Result of ReplayWindow.status. */
export type ReplayStatus = 'new' | 'seen' | 'too old';

/**
 * Persistable state of a replay window. Bit (seq mod size) of `bitmap`, least significant bit
 * first within each byte, is set when seq was accepted, for seq in (top - size, top].
 */
export interface ReplaySnapshot {
  /** Highest accepted sequence number, or -1n when none was accepted. */
  top: bigint;
  /** Window size in sequence numbers. */
  size: number;
  /** ceil(size / 8) bytes. */
  bitmap: Uint8Array;
}

function checkSnapshot(snapshot: ReplaySnapshot): void {
  checkInteger(snapshot.size, 'snapshot.size', 1, MAX_REPLAY_WINDOW);
  if (typeof snapshot.top !== 'bigint' || snapshot.top < -1n || snapshot.top >= 1n << 64n) {
    throw new RangeError(`snapshot.top must be a bigint from -1 to 2^64 - 1, got ${String(snapshot.top)}`);
  }
  checkBytes(snapshot.bitmap, 'snapshot.bitmap', Math.ceil(snapshot.size / 8));
}

/**
 * Sliding window of accepted sequence numbers, as in the IPsec anti-replay window (RFC 4303
 * section 3.4.3). A bitmap tracks the sequence numbers up to `size - 1` below the highest accepted
 * one. Older ones are rejected, because the window can no longer tell whether they were seen.
 */
export class ReplayWindow {
  readonly size: number;
  readonly #bits: Uint8Array;
  /**
   * Highest accepted sequence number, -1 before the first one. A number while it is below 2^53,
   * so that the common case needs no BigInt arithmetic, and a bigint above.
   */
  #highest: number | bigint = -1;

  constructor(size: number = DEFAULT_REPLAY_WINDOW) {
    this.size = checkInteger(size, 'replayWindow', 1, MAX_REPLAY_WINDOW);
    this.#bits = new Uint8Array(Math.ceil(size / 8));
  }

  /** Highest accepted sequence number, or -1n before the first one. */
  get top(): bigint {
    return BigInt(this.#highest);
  }

  /**
   * Classifies `seq` without changing the window: 'new' if it may be accepted, 'seen' if it was
   * already accepted, 'too old' if it is `size` or more below the highest accepted one. A number
   * must be a safe non-negative integer.
   */
  status(seq: bigint | number): ReplayStatus {
    if (typeof seq === 'number' && !(Number.isSafeInteger(seq) && seq >= 0)) throw badSeq(seq);
    const highest = this.#highest;
    if (typeof seq === 'number' && typeof highest === 'number') {
      if (seq > highest) return 'new';
      if (highest - seq >= this.size) return 'too old';
      return this.#get(seq % this.size) ? 'seen' : 'new';
    }
    const big = BigInt(seq);
    const top = BigInt(highest);
    if (big > top) return 'new';
    if (top - big >= BigInt(this.size)) return 'too old';
    return this.#get(this.#slotOf(big)) ? 'seen' : 'new';
  }

  /** Raises ReplayError if `seq` was already accepted or is older than the window. */
  check(seq: bigint | number): void {
    const status = this.status(seq);
    if (status === 'too old') throw new ReplayError(BigInt(seq), 'too old');
    if (status === 'seen') throw new ReplayError(BigInt(seq), 'duplicate');
  }

  /** Returns a copy of the state for a ReplayStore. */
  snapshot(): ReplaySnapshot {
    return { top: BigInt(this.#highest), size: this.size, bitmap: this.#bits.slice() };
  }

  /**
   * Rebuilds a window of `size` from a snapshot. With a smaller size, the accepted sequence
   * numbers still inside the new window are carried over. With a larger size, the sequence numbers
   * that the snapshot no longer covered are marked as seen, because any of them may have been
   * accepted, so they can never be accepted again.
   */
  static restore(snapshot: ReplaySnapshot, size: number = snapshot.size): ReplayWindow {
    const window = new ReplayWindow(size);
    checkSnapshot(snapshot);
    window.#highest = compact(snapshot.top);
    if (snapshot.size === size) {
      window.#bits.set(snapshot.bitmap);
      return window;
    }
    const old = new ReplayWindow(snapshot.size);
    old.#highest = compact(snapshot.top);
    old.#bits.set(snapshot.bitmap);
    for (let seq = snapshot.top; seq >= 0n && snapshot.top - seq < BigInt(size); seq--) {
      if (snapshot.top - seq >= BigInt(snapshot.size) || old.#get(old.#slotOf(seq))) window.#set(window.#slotOf(seq));
    }
    return window;
  }

  /** Records `seq` as accepted. Call it only after the message authenticated. */
  accept(seq: bigint | number): void {
    this.check(seq);
    this.#record(seq);
  }

  /**
   * Classifies `seq` as status() does and records it when it is 'new', with one classification.
   * Returns the status before recording. Call it only after the message authenticated.
   */
  record(seq: bigint | number): ReplayStatus {
    const status = this.status(seq);
    if (status === 'new') this.#record(seq);
    return status;
  }

  #record(seq: bigint | number): void {
    const highest = this.#highest;
    if (typeof seq === 'number' && typeof highest === 'number') {
      if (seq > highest) {
        if (seq - highest >= this.size) {
          this.#bits.fill(0);
        } else {
          // Clear the slots that now belong to the new sequence numbers highest+1 .. seq.
          for (let s = highest + 1; s <= seq; s++) this.#clear(s % this.size);
        }
        this.#highest = seq;
      }
      this.#set(seq % this.size);
      return;
    }
    const big = BigInt(seq);
    const top = BigInt(highest);
    if (big > top) {
      if (big - top >= BigInt(this.size)) {
        this.#bits.fill(0);
      } else {
        for (let s = top + 1n; s <= big; s++) this.#clear(this.#slotOf(s));
      }
      this.#highest = compact(big);
    }
    this.#set(this.#slotOf(big));
  }

  #slotOf(seq: bigint): number {
    return Number(seq % BigInt(this.size));
  }

  #get(index: number): boolean {
    return ((this.#bits[index >> 3] as number) & (1 << (index & 7))) !== 0;
  }

  #set(index: number): void {
    this.#bits[index >> 3] = (this.#bits[index >> 3] as number) | (1 << (index & 7));
  }

  #clear(index: number): void {
    this.#bits[index >> 3] = (this.#bits[index >> 3] as number) & ~(1 << (index & 7));
  }
}

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/** Returns a sequence number as a number when it is below 2^53, else as the bigint. */
function compact(seq: bigint): number | bigint {
  return seq <= MAX_SAFE_BIGINT ? Number(seq) : seq;
}

function badSeq(seq: number): Error {
  if (Number.isInteger(seq) && seq < 0) return new RangeError(`seq must not be negative, got ${seq}`);
  return new TypeError(
    `seq must be a non-negative safe integer or a bigint, got ${seq}: pass sequence numbers of 2^53 and above as bigint`,
  );
}
