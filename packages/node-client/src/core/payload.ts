/** Conversion of caller payloads to the bytes that get encrypted. */
import { InvalidOptionError } from './errors.js';

/** Payload types that publish accepts. */
export type PublishPayload = string | Uint8Array | ArrayBuffer | ArrayBufferView | Blob;

const utf8 = new TextEncoder();
const EXPECTED = 'a string, Uint8Array, Buffer, ArrayBuffer, typed array, DataView or Blob';

/**
 * Returns the bytes to encrypt: a string as UTF-8, a Blob as its content, an ArrayBuffer whole,
 * and a Uint8Array, Buffer, other typed array or DataView as exactly its visible bytes. A view
 * into a larger ArrayBuffer is used as the view, not as the whole buffer.
 */
export async function readPayload(payload: unknown, option: string): Promise<Uint8Array> {
  if (isBlob(payload)) return new Uint8Array(await payload.arrayBuffer());
  return payloadBytes(payload, option);
}

/** Returns true for a Blob, the one payload type that must be read asynchronously. */
export function isBlob(payload: unknown): payload is Blob {
  return typeof Blob !== 'undefined' && payload instanceof Blob;
}

/** Returns the bytes to encrypt for every accepted type except Blob, without awaiting. */
export function payloadBytes(payload: unknown, option: string): Uint8Array {
  if (typeof payload === 'string') return utf8.encode(payload);
  if (payload instanceof Uint8Array) return payload;
  if (ArrayBuffer.isView(payload)) {
    return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  }
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  throw new InvalidOptionError(option, EXPECTED, payload);
}
