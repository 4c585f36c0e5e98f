/** Envelope v1 header encoding and parsing (spec/envelope-v1.md, "Wire format"). */
import { checkBytes, concat, i2osp, readUint, toHex, utf8 } from './bytes.js';
import {
  EnvelopeFormatError,
  UnsupportedSuiteError,
  UnsupportedVersionError,
} from './errors.js';
import { KEY_ID_LENGTH } from './keys.js';
import { AEAD_TAG_LENGTH, X25519_KEY_LENGTH } from './provider.js';

export const ENVELOPE_VERSION = 0x01;
/** Suite 0x01: HPKE KEM 0x0020, KDF 0x0001, AEAD 0x0003. */
export const SUITE_X25519_SHA256_CHACHA20POLY1305 = 0x01;
/** Envelope type 0x01: one recipient, sealed directly to its key. */
export const TYPE_DIRECT = 0x01;
/** Header length in bytes, which is also the offset of the ciphertext. */
export const HEADER_LENGTH = 60;
/** Smallest valid envelope: a header and a tag over an empty plaintext. */
export const MIN_ENVELOPE_LENGTH = HEADER_LENGTH + AEAD_TAG_LENGTH;
/** HPKE info string of direct envelopes. */
export const DIRECT_INFO = utf8('mqtt-e2ee/v1 direct');
/** Largest topic length in UTF-8 bytes, because the AAD stores it as a uint16. */
export const MAX_TOPIC_BYTES = 0xffff;

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
  senderKeyId: Uint8Array;
  recipientKeyId: Uint8Array;
  enc: Uint8Array;
  seq: bigint;
}

/** Encodes the 60-byte v1 direct header. */
export function encodeHeader(fields: HeaderFields): Uint8Array {
  checkBytes(fields.senderKeyId, 'sender key id', KEY_ID_LENGTH);
  checkBytes(fields.recipientKeyId, 'recipient key id', KEY_ID_LENGTH);
  checkBytes(fields.enc, 'enc', X25519_KEY_LENGTH);
  const header = new Uint8Array(HEADER_LENGTH);
  header[0] = ENVELOPE_VERSION;
  header[1] = SUITE_X25519_SHA256_CHACHA20POLY1305;
  header[2] = TYPE_DIRECT;
  header[3] = 0x00;
  header.set(fields.senderKeyId, OFFSET_SENDER_ID);
  header.set(fields.recipientKeyId, OFFSET_RECIPIENT_ID);
  header.set(fields.enc, OFFSET_ENC);
  header.set(i2osp(fields.seq, 8), OFFSET_SEQ);
  return header;
}

/**
 * Parses and checks an envelope header. Version and suite are checked before the length of the
 * rest, because a later version may use a different layout. Raises EnvelopeFormatError,
 * UnsupportedVersionError or UnsupportedSuiteError.
 */
export function parseHeader(envelope: Uint8Array): EnvelopeHeader {
  checkBytes(envelope, 'envelope');
  const version = envelope[0];
  if (version === undefined) throw truncated(envelope.length);
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
  if (flags !== 0) {
    throw new EnvelopeFormatError(`Reserved flags byte must be 0x00, got 0x${hex(flags)}.`);
  }
  return {
    version,
    suite,
    type,
    flags,
    senderKeyId: envelope.slice(OFFSET_SENDER_ID, OFFSET_SENDER_ID + KEY_ID_LENGTH),
    recipientKeyId: envelope.slice(OFFSET_RECIPIENT_ID, OFFSET_RECIPIENT_ID + KEY_ID_LENGTH),
    enc: envelope.slice(OFFSET_ENC, OFFSET_ENC + X25519_KEY_LENGTH),
    seq: readUint(envelope.subarray(OFFSET_SEQ, HEADER_LENGTH)),
  };
}

/** Encodes a topic as UTF-8 and checks that its length fits the uint16 length prefix. */
export function encodeTopic(topic: string): Uint8Array {
  const bytes = utf8(topic);
  if (bytes.length > MAX_TOPIC_BYTES) {
    throw new RangeError(`topic must be at most ${MAX_TOPIC_BYTES} UTF-8 bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** AAD = header bytes 0..60 || uint16 topic length || topic UTF-8. */
export function buildAad(header: Uint8Array, topicBytes: Uint8Array): Uint8Array {
  return concat(header.subarray(0, HEADER_LENGTH), i2osp(topicBytes.length, 2), topicBytes);
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

function hex(value: number): string {
  return value.toString(16).padStart(2, '0');
}
