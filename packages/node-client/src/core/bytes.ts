/** Byte helpers that work on any Uint8Array view, without the Buffer class of Node.js. */

const utf8 = new TextEncoder();

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX_DIGITS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Encodes bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += HEX_DIGITS[byte] as string;
  return hex;
}

/** Returns the UTF-8 length of a string. */
export function utf8Length(text: string): number {
  return utf8.encode(text).length;
}
