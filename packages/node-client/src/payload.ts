/** Conversion of envelopes to the Buffers that MQTT.js sends in Node.js. */
import { Buffer } from 'node:buffer';

/** Wraps bytes in a Buffer over the same memory, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
