/** Byte helpers that work on any Uint8Array view, without the Buffer class of Node.js. */

/** Byte comparison and hex encoding come from the envelope package, so both use one implementation. */
export { equalBytes as bytesEqual, toHex } from '@mqtt-e2ee/envelope';

/**
 * Returns the UTF-8 length of a string as TextEncoder would encode it, without encoding it: an
 * unpaired surrogate becomes U+FFFD, which takes 3 bytes.
 */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 4;
      i++;
    } else length += 3;
  }
  return length;
}
