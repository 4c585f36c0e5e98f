import { createHash } from 'node:crypto';

/**
 * Minimum length of a line that the leak search looks for. A short byte string turns up in
 * random ciphertext by chance, a 2-byte string about once per 64 KiB, and would be reported
 * as a leak that is not there. An 8-byte string turns up about once per 2^64 positions.
 */
export const MIN_SEARCHED_LINE_BYTES = 8;

/** Splits file content on line feeds; a final line feed ends the last line instead of adding an empty one. */
export function splitFileLines(content: Uint8Array): Buffer[] {
  const buffer = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const lines: Buffer[] = [];
  let start = 0;
  let end = buffer.indexOf(0x0a, start);
  while (end !== -1) {
    lines.push(buffer.subarray(start, end));
    start = end + 1;
    end = buffer.indexOf(0x0a, start);
  }
  if (start < buffer.length) lines.push(buffer.subarray(start));
  return lines;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Differences between the lines sent and the lines received, in order. */
export interface LineComparison {
  /** Lines received with exactly the bytes sent at the same position. */
  matched: number;
  /** Positions (0-based) where the received bytes differ or are missing. */
  mismatched: number[];
  /** Lines received beyond the number sent. */
  extra: number;
}

export function compareLines(sent: readonly Uint8Array[], received: readonly Uint8Array[]): LineComparison {
  const mismatched: number[] = [];
  sent.forEach((line, index) => {
    const got = received[index];
    if (got === undefined || !Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(line)) {
      mismatched.push(index);
    }
  });
  return {
    matched: sent.length - mismatched.length,
    mismatched,
    extra: Math.max(0, received.length - sent.length),
  };
}

/** Result of searching captured payloads for plaintext. */
export interface LeakSearch {
  /** Lines long enough to be searched. */
  searched: number;
  /** Lines shorter than {@link MIN_SEARCHED_LINE_BYTES}, not searched. */
  tooShort: number;
  /** Indexes of the searched lines found inside at least one payload. */
  leaked: number[];
}

/** Searches every payload for the bytes of every line that is long enough to be meaningful. */
export function findLeaks(lines: readonly Uint8Array[], payloads: readonly Uint8Array[]): LeakSearch {
  const result: LeakSearch = { searched: 0, tooShort: 0, leaked: [] };
  const haystacks = payloads.map((payload) => Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  lines.forEach((line, index) => {
    if (line.byteLength < MIN_SEARCHED_LINE_BYTES) {
      result.tooShort += 1;
      return;
    }
    result.searched += 1;
    const needle = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
    if (haystacks.some((haystack) => haystack.includes(needle))) result.leaked.push(index);
  });
  return result;
}
