/**
 * Group envelope, wire type 0x02 (spec/key-exchange-v1.md, "Group envelope"). A sender encrypts
 * each message once under its epoch key; every member with the epoch key can open it.
 *
 *   off len field
 *   0   1   version     0x01
 *   1   1   suite       0x01 (X25519, HKDF-SHA256, ChaCha20-Poly1305)
 *   2   1   type        0x02 = group
 *   3   1   flags       bit 0: an Ed25519 signature follows the tag; other bits must be 0
 *   4   8   epoch id    derived from the epoch secret
 *   12  8   seq         uint64, unique per epoch because only the sender encrypts with it
 *   20  ... ciphertext || 16-byte tag [|| 64-byte signature]
 *
 * Overhead without signature: 20 + 16 = 36 bytes.
 */
import {
  AEAD_TAG_LENGTH,
  DecryptionError,
  ENVELOPE_VERSION,
  EnvelopeFormatError,
  SUITE_X25519_SHA256_CHACHA20POLY1305,
  TYPE_DIRECT,
  UnsupportedSuiteError,
  UnsupportedVersionError,
  type CryptoProvider,
} from '@mqtt-e2ee/envelope';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { SignedBytesBuilder, uint16, uint64 } from './codec.js';
import { ED25519_SIGNATURE_LENGTH, signBytes, verifyBytes, type SigningKeyPair } from './signing.js';

/** Envelope type 0x02: one message for all members of a group epoch. */
export const TYPE_GROUP = 0x02;
/** Flag bit 0: the envelope ends with an Ed25519 signature by the sender. */
export const FLAG_SIGNED = 0x01;
/** Length of the group header in bytes. */
export const GROUP_HEADER_LENGTH = 20;
/** Length of an epoch id in bytes. */
export const EPOCH_ID_LENGTH = 8;
/** Length of an epoch secret in bytes. */
export const EPOCH_SECRET_LENGTH = 32;
/** Bytes a group envelope adds to the plaintext without a signature: header and tag. */
export const GROUP_OVERHEAD = GROUP_HEADER_LENGTH + AEAD_TAG_LENGTH;

const EPOCH_SALT = utf8ToBytes('mqtt-e2ee/v1 group epoch');
const SIGNATURE_CONTEXT = utf8ToBytes('mqtt-e2ee/v1 group message');
const MAX_SEQ = 0xffff_ffff_ffff_ffffn;

/** Keys derived from an epoch secret. */
export interface EpochKeys {
  readonly epochId: Uint8Array;
  readonly key: Uint8Array;
  readonly baseNonce: Uint8Array;
}

/** Parsed group header. */
export interface GroupHeader {
  readonly flags: number;
  readonly epochId: Uint8Array;
  readonly seq: bigint;
}

/** Envelope kind of a payload, read from its first three bytes: 'direct', 'group' or 'unknown'. */
export type EnvelopeKind = 'direct' | 'group' | 'unknown';

/**
 * Returns the kind of an envelope from its version, suite and type bytes, so a client can
 * dispatch to EnvelopeOpener or GroupReceiver. A payload too short to have these bytes, or with
 * another version or suite, is 'unknown'.
 */
export function envelopeKind(payload: Uint8Array): EnvelopeKind {
  if (payload.length < 3 || payload[0] !== ENVELOPE_VERSION || payload[1] !== SUITE_X25519_SHA256_CHACHA20POLY1305) {
    return 'unknown';
  }
  if (payload[2] === TYPE_DIRECT) return 'direct';
  if (payload[2] === TYPE_GROUP) return 'group';
  return 'unknown';
}

/**
 * Derives the epoch id, AEAD key and base nonce from an epoch secret with HKDF-SHA256 (RFC 5869):
 * PRK = Extract(salt "mqtt-e2ee/v1 group epoch", secret), then 52 bytes of Expand(PRK, info),
 * where info binds the prefix, group id and sender client id.
 */
export function deriveEpochKeys(secret: Uint8Array, prefix: string, groupId: string, sender: string): EpochKeys {
  if (secret.length !== EPOCH_SECRET_LENGTH) throw new RangeError(`epoch secret must be ${EPOCH_SECRET_LENGTH} bytes, got ${secret.length}`);
  const prk = extract(sha256, secret, EPOCH_SALT);
  const info = new SignedBytesBuilder('mqtt-e2ee/v1 group').text(prefix).text(groupId).text(sender).build();
  const okm = expand(sha256, prk, info, EPOCH_ID_LENGTH + 32 + 12);
  return { epochId: okm.slice(0, 8), key: okm.slice(8, 40), baseNonce: okm.slice(40, 52) };
}

/** Nonce = base nonce XOR seq as a 12-byte big-endian integer, as RFC 9180 section 5.2 ComputeNonce. */
export function groupNonce(baseNonce: Uint8Array, seq: bigint): Uint8Array {
  const nonce = baseNonce.slice();
  const seqBytes = uint64(seq);
  for (let index = 0; index < 8; index++) {
    nonce[4 + index] = (nonce[4 + index] as number) ^ (seqBytes[index] as number);
  }
  return nonce;
}

function encodeGroupHeader(flags: number, epochId: Uint8Array, seq: bigint): Uint8Array {
  const header = new Uint8Array(GROUP_HEADER_LENGTH);
  header.set([ENVELOPE_VERSION, SUITE_X25519_SHA256_CHACHA20POLY1305, TYPE_GROUP, flags]);
  header.set(epochId, 4);
  header.set(uint64(seq), 12);
  return header;
}

/** AAD = 20 header bytes || uint16 topic length || topic UTF-8, as in direct mode. */
export function groupAad(header: Uint8Array, topic: string): Uint8Array {
  const topicBytes = utf8ToBytes(topic);
  if (topicBytes.length > 0xffff) throw new RangeError(`topic must be at most 65535 UTF-8 bytes, got ${topicBytes.length}`);
  return concatBytes(header.subarray(0, GROUP_HEADER_LENGTH), uint16(topicBytes.length), topicBytes);
}

/** Seals one group message. The caller guarantees that (epoch, seq) is never used twice. */
export function sealGroup(
  provider: CryptoProvider,
  epoch: EpochKeys,
  seq: bigint,
  topic: string,
  plaintext: Uint8Array,
  signer?: SigningKeyPair,
): Uint8Array {
  if (seq < 0n || seq > MAX_SEQ) throw new RangeError(`seq must fit in 64 bits, got ${seq}`);
  const header = encodeGroupHeader(signer === undefined ? 0 : FLAG_SIGNED, epoch.epochId, seq);
  const aad = groupAad(header, topic);
  const sealed = provider.aeadSeal(epoch.key, groupNonce(epoch.baseNonce, seq), aad, plaintext);
  if (signer === undefined) return concatBytes(header, sealed);
  const signature = signBytes(signer, concatBytes(SIGNATURE_CONTEXT, aad, sealed));
  return concatBytes(header, sealed, signature);
}

/**
 * Parses a group header. Version and suite errors match the direct envelope; a truncated
 * envelope or reserved flag bits raise EnvelopeFormatError.
 */
export function parseGroupHeader(envelope: Uint8Array): GroupHeader {
  if (envelope.length >= 1 && envelope[0] !== ENVELOPE_VERSION) throw new UnsupportedVersionError(envelope[0] as number);
  if (envelope.length >= 2 && envelope[1] !== SUITE_X25519_SHA256_CHACHA20POLY1305) throw new UnsupportedSuiteError(envelope[1] as number);
  if (envelope.length < GROUP_OVERHEAD) {
    throw new EnvelopeFormatError(`Group envelope is truncated: expected at least ${GROUP_OVERHEAD} bytes (20-byte header and 16-byte tag), got ${envelope.length}.`);
  }
  if (envelope[2] !== TYPE_GROUP) throw new EnvelopeFormatError(`Envelope type is 0x${(envelope[2] as number).toString(16).padStart(2, '0')}, not 0x02 (group).`);
  const flags = envelope[3] as number;
  if ((flags & ~FLAG_SIGNED) !== 0) throw new EnvelopeFormatError(`Reserved group flag bits must be 0, got flags 0x${flags.toString(16).padStart(2, '0')}.`);
  if ((flags & FLAG_SIGNED) !== 0 && envelope.length < GROUP_OVERHEAD + ED25519_SIGNATURE_LENGTH) {
    throw new EnvelopeFormatError('Signed group envelope is too short to hold its 64-byte signature.');
  }
  const seqView = new DataView(envelope.buffer, envelope.byteOffset + 12, 8);
  return { flags, epochId: envelope.slice(4, 12), seq: seqView.getBigUint64(0) };
}

/**
 * Opens a group message with the keys of its epoch. With `signerKey`, a signature is required
 * and checked before decryption. Without it, a signed envelope is rejected, because the
 * receiver cannot check the signature. Any authentication failure raises DecryptionError.
 */
export function openGroup(
  provider: CryptoProvider,
  epoch: EpochKeys,
  header: GroupHeader,
  topic: string,
  envelope: Uint8Array,
  signerKey: Uint8Array | undefined,
): Uint8Array {
  const signed = (header.flags & FLAG_SIGNED) !== 0;
  const aad = groupAad(envelope, topic);
  const end = signed ? envelope.length - ED25519_SIGNATURE_LENGTH : envelope.length;
  const sealed = envelope.subarray(GROUP_HEADER_LENGTH, end);
  if (signerKey !== undefined) {
    if (!signed) throw new EnvelopeFormatError('Group envelope has no signature, but this epoch requires signed messages: rejected as a possible forgery by a member.');
    const signature = envelope.subarray(end);
    if (!verifyBytes(signerKey, concatBytes(SIGNATURE_CONTEXT, aad, sealed), signature)) {
      // A bad signature is an authentication failure like a bad tag, so it raises the same error.
      throw new DecryptionError();
    }
  } else if (signed) {
    throw new EnvelopeFormatError('Group envelope is signed, but the epoch key message did not announce signatures: rejected.');
  }
  return provider.aeadOpen(epoch.key, groupNonce(epoch.baseNonce, header.seq), aad, sealed);
}
