/**
 * Optional length padding inside the plaintext (spec/envelope-v1.md, "Padding"). A padded
 * plaintext is message || 0x80 || zero or more 0x00 bytes, the padding method 2 of ISO/IEC
 * 9797-1, so removal needs no length field and is unambiguous.
 */
import { checkInteger } from './bytes.js';
import { PaddingError } from './errors.js';

/** Default bucket sizes in bytes: powers of two from 32 bytes to 64 KiB. */
export const DEFAULT_PADDING_BUCKETS: readonly number[] = Object.freeze(
  Array.from({ length: 12 }, (_, i) => 32 * 2 ** i),
);

/** Marker byte that ends the message and starts the padding. */
export const PADDING_MARKER = 0x80;

/** Padding option of the sealer: no padding, the default buckets, or a custom bucket list. */
export type PaddingOption = 'none' | 'buckets' | readonly number[];

/** Validates a padding option and returns the bucket list, or undefined for no padding. */
export function resolvePadding(option: unknown, field = 'padding'): readonly number[] | undefined {
  if (option === undefined || option === 'none') return undefined;
  if (option === 'buckets') return DEFAULT_PADDING_BUCKETS;
  if (!Array.isArray(option) || option.length === 0) {
    throw new TypeError(`${field} must be 'none', 'buckets' or a non-empty array of bucket sizes, got ${JSON.stringify(option)}`);
  }
  let previous = 0;
  const buckets = option.map((size: unknown, i) => {
    const checked = checkInteger(size, `${field}[${i}]`, 1, 0x0fffffff);
    if (checked <= previous) {
      throw new RangeError(`${field} must be strictly increasing, got ${checked} after ${previous} at index ${i}`);
    }
    previous = checked;
    return checked;
  });
  return Object.freeze(buckets);
}

/**
 * Returns the padded plaintext length for a message of `length` bytes: the smallest bucket that
 * fits length + 1 bytes (message and marker), or beyond the largest bucket the next multiple of
 * the largest bucket.
 */
export function paddedLength(length: number, buckets: readonly number[]): number {
  const needed = length + 1;
  for (const bucket of buckets) if (bucket >= needed) return bucket;
  const largest = buckets[buckets.length - 1] as number;
  return Math.ceil(needed / largest) * largest;
}

/** Pads `message` to its bucket: message || 0x80 || 0x00 ... */
export function pad(message: Uint8Array, buckets: readonly number[]): Uint8Array {
  const out = new Uint8Array(paddedLength(message.length, buckets));
  out.set(message);
  out[message.length] = PADDING_MARKER;
  return out;
}

/**
 * Removes the padding: skips trailing zero bytes and requires a 0x80 marker before them. Raises
 * PaddingError when the marker is missing. It runs only on authenticated plaintext, so its timing
 * reveals nothing that the sender does not already know.
 */
export function unpad(padded: Uint8Array): Uint8Array {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0x00) end--;
  if (end < 0 || padded[end] !== PADDING_MARKER) throw new PaddingError();
  return padded.subarray(0, end);
}
