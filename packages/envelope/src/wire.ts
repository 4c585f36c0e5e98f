/** Envelope v1 header encoding and parsing (spec/envelope-v1.md, "Wire format"). */
import { checkBytes, readUint64, toHex, utf8, writeSafeUint64, writeUint64 } from './bytes.js';
import {
  EnvelopeFormatError,
  UnsupportedSuiteError,
  UnsupportedVersionError,
} from './errors.js';
import { isCanonicalPublicKey, KEY_ID_LENGTH } from './keys.js';
import { AEAD_TAG_LENGTH, X25519_KEY_LENGTH } from './provider.js';
import { encodeTopicName, MAX_TOPIC_BYTES } from './topic.js';

export const ENVELOPE_VERSION = 0x01;
/** Suite 0x01: HPKE KEM 0x0020, KDF 0x0001, AEAD 0x0003. */
export const SUITE_X25519_SHA256_CHACHA20POLY1305 = 0x01;
/** Envelope type 0x01: one recipient, sealed directly to its key. */
export const TYPE_DIRECT = 0x01;
/** Header length in bytes, which is also the offset of the ciphertext. */
export const HEADER_LENGTH = 60;
/** Smallest valid envelope: a header and a tag over an empty plaintext. */
export const MIN_ENVELOPE_LENGTH = HEADER_LENGTH + AEAD_TAG_LENGTH;
/** Flags bit 0: the plaintext carries padding (spec/envelope-v1.md, "Padding"). */
export const FLAG_PADDED = 0x01;
/** Flag bits that version 1 does not define. A receiver rejects an envelope with any of them set. */
export const RESERVED_FLAGS = 0xfe;
/** Highest first byte that denotes an envelope version. Payloads starting with 0x00 or 0x20 and above are not envelopes. */
export const MAX_VERSION_BYTE = 0x1f;
/**
 * Largest envelope in bytes: 268,435,455, the largest MQTT Remaining Length (MQTT 5.0 section
 * 1.5.5), so no MQTT packet can carry a longer payload.
 */
export const MAX_ENVELOPE_BYTES = 268_435_455;
/** HPKE info string of direct envelopes. */
export const DIRECT_INFO = utf8('mqtt-e2ee/v1 direct');
export { MAX_TOPIC_BYTES } from './topic.js';

const OFFSET_SENDER_ID = 4;
const OFFSET_RECIPIENT_ID = 12;
const OFFSET_ENC = 20;
const OFFSET_SEQ = 52;

/** Decoded header fields of an envelope. Byte fields are copies. */
export interface EnvelopeHeader {
  version: number;
  suite: number;
  type: number;
  flags: number;
  senderKeyId: Uint8Array;
  recipientKeyId: Uint8Array;
  enc: Uint8Array;
  seq: bigint;
}

/** Header fields chosen by the sealer. */
export interface HeaderFields {
  /** Flags byte. Default 0x00. */
  flags?: number;
  senderKeyId: Uint8Array;
  recipientKeyId: Uint8Array;
  enc: Uint8Array;
  /** A bigint, or a number that is a safe non-negative integer. */
  seq: bigint | number;
}

/** Encodes the 60-byte v1 direct header. */
export function encodeHeader(fields: HeaderFields): Uint8Array {
  return encodeHeaderInto(new Uint8Array(HEADER_LENGTH), fields);
}

/** Writes the 60-byte v1 direct header to the start of `target` and returns `target`. */
export function encodeHeaderInto(target: Uint8Array, fields: HeaderFields): Uint8Array {
  checkBytes(fields.senderKeyId, 'sender key id', KEY_ID_LENGTH);
  checkBytes(fields.recipientKeyId, 'recipient key id', KEY_ID_LENGTH);
  checkBytes(fields.enc, 'enc', X25519_KEY_LENGTH);
  target[0] = ENVELOPE_VERSION;
  target[1] = SUITE_X25519_SHA256_CHACHA20POLY1305;
  target[2] = TYPE_DIRECT;
  target[3] = fields.flags ?? 0x00;
  target.set(fields.senderKeyId, OFFSET_SENDER_ID);
  target.set(fields.recipientKeyId, OFFSET_RECIPIENT_ID);
  target.set(fields.enc, OFFSET_ENC);
  writeSeq(target, fields.seq);
  return target;
}

/** Writes the seq field of a header in `target`. A number must be a safe non-negative integer. */
export function writeSeq(target: Uint8Array, seq: bigint | number): void {
  if (typeof seq === 'number') writeSafeUint64(target, OFFSET_SEQ, seq);
  else writeUint64(target, OFFSET_SEQ, seq);
}

/**
 * Parses and checks an envelope header. The first byte is classified before anything else, then
 * version and suite are checked before the length of the rest, because a later version may use a
 * different layout. Raises EnvelopeFormatError, UnsupportedVersionError or UnsupportedSuiteError.
 */
export function parseHeader(envelope: Uint8Array): EnvelopeHeader {
  checkBytes(envelope, 'envelope');
  const version = envelope[0];
  if (version === undefined || version === 0x00 || version > MAX_VERSION_BYTE) throw notAnEnvelope(envelope.length);
  if (version !== ENVELOPE_VERSION) throw new UnsupportedVersionError(version);

  const suite = envelope[1];
  if (suite === undefined) throw truncated(envelope.length);
  if (suite !== SUITE_X25519_SHA256_CHACHA20POLY1305) throw new UnsupportedSuiteError(suite);
  if (envelope.length < MIN_ENVELOPE_LENGTH) throw truncated(envelope.length);

  const type = envelope[2] as number;
  if (type !== TYPE_DIRECT) {
    throw new EnvelopeFormatError(`Unsupported envelope type 0x${hex(type)}: version 0x01 defines only 0x01 (direct).`);
  }
  const flags = envelope[3] as number;
  if ((flags & RESERVED_FLAGS) !== 0) {
    throw new EnvelopeFormatError(
      `Reserved flag bits are set in flags byte 0x${hex(flags)}: version 0x01 defines only bit 0x01 (padded), all other bits must be zero.`,
    );
  }

  const enc = envelope.slice(OFFSET_ENC, OFFSET_ENC + X25519_KEY_LENGTH);
  if (!isCanonicalPublicKey(enc)) {
    throw new EnvelopeFormatError(
      'The enc field is not a canonical X25519 public key (a little-endian integer below 2^255 - 19), so no valid sender produced it.',
    );
  }
  return {
    version,
    suite,
    type,
    flags,
    senderKeyId: envelope.slice(OFFSET_SENDER_ID, OFFSET_SENDER_ID + KEY_ID_LENGTH),
    recipientKeyId: envelope.slice(OFFSET_RECIPIENT_ID, OFFSET_RECIPIENT_ID + KEY_ID_LENGTH),
    enc,
    seq: readUint64(envelope, OFFSET_SEQ),
  };
}

/** Kind of an MQTT payload, decided before any envelope check (spec/envelope-v1.md, "Payloads that are not envelopes"). */
export type PayloadKind = 'delete' | 'envelope' | 'unsupported-version' | 'not-envelope';

/**
 * Classifies an MQTT payload by its length and first byte. A zero-length payload is 'delete',
 * because it clears a retained message, and is never decrypted. First byte 0x01 is 'envelope',
 * 0x02 to 0x1f 'unsupported-version', and 0x00 or 0x20 to 0xff 'not-envelope', which covers
 * text and JSON.
 */
export function classifyPayload(payload: Uint8Array): PayloadKind {
  checkBytes(payload, 'payload');
  const first = payload[0];
  if (first === undefined) return 'delete';
  if (first === ENVELOPE_VERSION) return 'envelope';
  if (first === 0x00 || first > MAX_VERSION_BYTE) return 'not-envelope';
  return 'unsupported-version';
}

/** Encodes a topic name as UTF-8 after the checks of encodeTopicName. */
export function encodeTopic(topic: string): Uint8Array {
  return encodeTopicName(topic);
}

/** AAD = header bytes 0..60 || uint16 topic length || topic UTF-8. */
export function buildAad(header: Uint8Array, topicBytes: Uint8Array): Uint8Array {
  const length = topicBytes.length;
  if (length > MAX_TOPIC_BYTES) {
    throw new RangeError(`value must fit in 2 unsigned bytes, got ${length}`);
  }
  const aad = new Uint8Array(HEADER_LENGTH + 2 + length);
  aad.set(header.subarray(0, HEADER_LENGTH));
  aad[HEADER_LENGTH] = length >>> 8;
  aad[HEADER_LENGTH + 1] = length & 0xff;
  aad.set(topicBytes, HEADER_LENGTH + 2);
  return aad;
}

/**
 * AAD of one topic, reused across messages so that sealing and opening allocate no AAD per
 * message: the topic part is written once and the header part on each withHeader call.
 */
export class AadBuffer {
  readonly #bytes: Uint8Array;

  constructor(topicBytes: Uint8Array) {
    this.#bytes = buildAad(new Uint8Array(HEADER_LENGTH), topicBytes);
  }

  /**
   * Copies the 60 header bytes in and returns the AAD. The returned bytes change on the next
   * call, so pass them only to a synchronous AEAD call.
   */
  withHeader(header: Uint8Array): Uint8Array {
    const bytes = this.#bytes;
    if (header.length === HEADER_LENGTH) {
      bytes.set(header);
      return bytes;
    }
    if (header.length < HEADER_LENGTH) throw new RangeError(`header must be at least ${HEADER_LENGTH} bytes long, got ${header.length} bytes`);
    // An index loop: a subarray of a longer envelope costs more to create than these 60 copies.
    for (let i = 0; i < HEADER_LENGTH; i++) bytes[i] = header[i] as number;
    return bytes;
  }
}

/** Session id: hex of the first 8 bytes of SHA-256(enc). */
export function sessionIdHex(sha256: (data: Uint8Array) => Uint8Array, enc: Uint8Array): string {
  return toHex(sha256(enc).subarray(0, 8));
}

function truncated(length: number): EnvelopeFormatError {
  return new EnvelopeFormatError(
    `Envelope is truncated: expected at least ${MIN_ENVELOPE_LENGTH} bytes (60-byte header and 16-byte tag), got ${length}.`,
  );
}

function notAnEnvelope(length: number): EnvelopeFormatError {
  // The message leaves out the first byte, because it belongs to someone's payload.
  return new EnvelopeFormatError(
    `Payload of ${length} bytes is not an mqtt-e2ee envelope, because its first byte is not an envelope version (0x01 to 0x1f); the publisher may be sending without encryption.`,
  );
}

function hex(value: number): string {
  return value.toString(16).padStart(2, '0');
}
