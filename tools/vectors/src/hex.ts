/** Hex and byte helpers of the vector files. */
import { Buffer } from 'node:buffer';

const HEX = /^([0-9a-f]{2})*$/;

/** Decodes lowercase hex. Raises RangeError for odd length or other characters. */
export function fromHex(text: string): Uint8Array {
  if (typeof text !== 'string' || !HEX.test(text)) {
    throw new RangeError(`expected lowercase hex with an even number of digits, got ${JSON.stringify(String(text).slice(0, 40))}`);
  }
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function utf8Hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}
