/** Conversion of caller payloads to the bytes that get encrypted. */
import { InvalidOptionError } from './errors.js';

const utf8 = new TextEncoder();

/**
 * Returns the bytes to encrypt: a string as UTF-8, a Uint8Array (a Buffer too) as exactly its
 * visible bytes. A view into a larger ArrayBuffer is used as the view, not as the whole buffer.
 */
export function payloadBytes(payload: unknown, option: string): Uint8Array {
  if (typeof payload === 'string') return utf8.encode(payload);
  if (payload instanceof Uint8Array) return payload;
  throw new InvalidOptionError(option, 'a string, Uint8Array or Buffer', payload);
}
