/**
 * Strict base64url without padding (RFC 4648 section 5). The decoder accepts only the
 * URL-safe alphabet and only the canonical encoding: the unused low bits of the last
 * character must be zero, so every byte string has exactly one accepted text.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const DECODE_TABLE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let index = 0; index < ALPHABET.length; index++) {
    table[ALPHABET.charCodeAt(index)] = index;
  }
  return table;
})();

/** Problem that makes a text invalid base64url, with the index of the first bad character for alphabet errors. */
export type Base64UrlProblem =
  | { kind: 'alphabet'; index: number }
  | { kind: 'length' }
  | { kind: 'non-canonical' };

/** Encodes bytes as base64url without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let offset = 0; offset < bytes.length; offset += 3) {
    const b0 = bytes[offset] ?? 0;
    const b1 = bytes[offset + 1] ?? 0;
    const b2 = bytes[offset + 2] ?? 0;
    const group = (b0 << 16) | (b1 << 8) | b2;
    const chars = Math.min(4, Math.ceil(((bytes.length - offset) * 8) / 6));
    for (let position = 0; position < chars; position++) {
      out += ALPHABET[(group >> (18 - 6 * position)) & 0x3f];
    }
  }
  return out;
}

/** Returns the first reason why `text` is not canonical unpadded base64url, or undefined if it is. */
export function findBase64UrlProblem(text: string): Base64UrlProblem | undefined {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 128 || (DECODE_TABLE[code] ?? -1) < 0) {
      return { kind: 'alphabet', index };
    }
  }
  // A final group of one character cannot carry a whole byte.
  if (text.length % 4 === 1) {
    return { kind: 'length' };
  }
  // A final group of 2 or 3 characters carries 4 or 2 unused bits, which must be zero.
  const rest = text.length % 4;
  if (rest !== 0) {
    const last = DECODE_TABLE[text.charCodeAt(text.length - 1)] ?? 0;
    const unusedMask = rest === 2 ? 0x0f : 0x03;
    if ((last & unusedMask) !== 0) {
      return { kind: 'non-canonical' };
    }
  }
  return undefined;
}

/** Decodes canonical unpadded base64url. Throws a RangeError naming the problem for any other text. */
export function decodeBase64Url(text: string): Uint8Array {
  const problem = findBase64UrlProblem(text);
  if (problem !== undefined) {
    const where = problem.kind === 'alphabet' ? ` at index ${problem.index}` : '';
    throw new RangeError(`Invalid base64url text: ${problem.kind}${where}`);
  }
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let buffer = 0;
  let bits = 0;
  let written = 0;
  for (let index = 0; index < text.length; index++) {
    buffer = ((buffer << 6) | (DECODE_TABLE[text.charCodeAt(index)] ?? 0)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}
