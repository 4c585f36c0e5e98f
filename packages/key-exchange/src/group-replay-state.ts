/**
 * Stored form of a group receiver's replay window per epoch (spec/key-exchange-v1.md, "State"):
 * `top` as a decimal string, `size` in sequence numbers and the bitmap of ReplayWindow.snapshot()
 * in base64url.
 */
import { MAX_REPLAY_WINDOW, type ReplaySnapshot, type ReplayWindow } from '@mqtt-e2ee/envelope';
import { decodeBase64Url, encodeBase64Url, findBase64UrlProblem } from './base64url.js';

/** Replay window of one epoch as stored in GroupReceiverState. */
export interface SavedReplayWindow {
  /** Highest accepted seq as a decimal string, or "-1" before the first one. */
  readonly top: string;
  /** Window size in sequence numbers. */
  readonly size: number;
  /** base64url of ceil(size / 8) bytes: bit (seq mod size), least significant bit first, is set for an accepted seq. */
  readonly bitmap: string;
}

const SEQ_TEXT = /^(0|[1-9][0-9]{0,19})$/;
const MAX_SEQ = (1n << 64n) - 1n;
/** How to recover from a bad window: without it, the receiver falls back to highestSeq alone. */
const WINDOW_FIX = 'delete replayWindow so that every seq up to highestSeq counts as seen';

/** Returns the stored form of a replay window. */
export function encodeReplayWindow(window: ReplayWindow): SavedReplayWindow {
  const snapshot = window.snapshot();
  return { top: snapshot.top.toString(), size: snapshot.size, bitmap: encodeBase64Url(snapshot.bitmap) };
}

/**
 * Checks `highestSeq` and `replayWindow` of one saved epoch, named `where` in messages, and
 * returns the window snapshot, or undefined for state without `replayWindow` (written before
 * windows were stored). Raises RangeError naming the field and the fix.
 */
export function decodeReplayWindow(
  saved: { readonly highestSeq?: unknown; readonly replayWindow?: unknown },
  where: string,
): ReplaySnapshot | undefined {
  const highest = saved.highestSeq;
  if (highest !== null && !(typeof highest === 'string' && SEQ_TEXT.test(highest) && BigInt(highest) <= MAX_SEQ)) {
    throw new RangeError(`${where}.highestSeq must be null or a decimal seq below 2^64, got ${JSON.stringify(highest)}: restore the state from a backup or remove this epoch`);
  }
  const value = saved.replayWindow;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new RangeError(`${where}.replayWindow must be an object with top, size and bitmap: ${WINDOW_FIX}`);
  }
  const { top, size, bitmap } = value as Partial<Record<keyof SavedReplayWindow, unknown>>;
  const expectedTop = highest ?? '-1';
  if (top !== expectedTop) {
    throw new RangeError(`${where}.replayWindow.top must equal highestSeq (${JSON.stringify(expectedTop)}), got ${JSON.stringify(top)}: ${WINDOW_FIX}`);
  }
  if (!(typeof size === 'number' && Number.isInteger(size) && size >= 1 && size <= MAX_REPLAY_WINDOW)) {
    throw new RangeError(`${where}.replayWindow.size must be an integer from 1 to ${MAX_REPLAY_WINDOW}, got ${JSON.stringify(size)}: ${WINDOW_FIX}`);
  }
  const bytes = Math.ceil(size / 8);
  if (typeof bitmap !== 'string' || findBase64UrlProblem(bitmap) !== undefined) {
    throw new RangeError(`${where}.replayWindow.bitmap must be unpadded base64url of ${bytes} bytes: ${WINDOW_FIX}`);
  }
  const decoded = decodeBase64Url(bitmap);
  if (decoded.length !== bytes) {
    throw new RangeError(`${where}.replayWindow.bitmap must hold ${bytes} bytes for size ${size}, got ${decoded.length}: ${WINDOW_FIX}`);
  }
  return { top: BigInt(top), size, bitmap: decoded };
}
