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
  AEAD_NONCE_LENGTH,
  AEAD_TAG_LENGTH,
  BytePool,
  DecryptionError,
  ENVELOPE_VERSION,
  EnvelopeFormatError,
  SUITE_X25519_SHA256_CHACHA20POLY1305,
  TYPE_DIRECT,
  UnsupportedSuiteError,
  UnsupportedVersionError,
  openWith,
  sealInto,
  type CryptoProvider,
} from '@mqtt-e2ee/envelope';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { SignedBytesBuilder, uint16 } from './codec.js';
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
const EPOCH_ID_OFFSET = 4;
const SEQ_OFFSET = 12;
const TWO_POW_32 = 0x1_0000_0000;

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

/** Raises unless `seq` is an integer from 0 to 2^64 - 1. A number must also be a safe integer. */
function checkSeq(seq: bigint | number): void {
  if (typeof seq === 'number') {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`seq must fit in 64 bits, got ${seq}`);
    return;
  }
  if (typeof seq !== 'bigint') throw new TypeError(`seq must be a bigint or a number, got ${typeof seq}`);
  if (seq < 0n || seq > MAX_SEQ) throw new RangeError(`seq must fit in 64 bits, got ${seq}`);
}

/** High and low 32-bit words of a checked seq, without BigInt arithmetic for a number. */
function highWord(seq: bigint | number): number {
  return typeof seq === 'number' ? Math.floor(seq / TWO_POW_32) : Number(seq >> 32n);
}

function lowWord(seq: bigint | number): number {
  return typeof seq === 'number' ? seq >>> 0 : Number(seq & 0xffff_ffffn);
}

function writeUint32(target: Uint8Array, offset: number, word: number): void {
  target[offset] = word >>> 24;
  target[offset + 1] = (word >>> 16) & 0xff;
  target[offset + 2] = (word >>> 8) & 0xff;
  target[offset + 3] = word & 0xff;
}

function xorUint32(target: Uint8Array, offset: number, word: number): void {
  target[offset] = (target[offset] as number) ^ (word >>> 24);
  target[offset + 1] = (target[offset + 1] as number) ^ ((word >>> 16) & 0xff);
  target[offset + 2] = (target[offset + 2] as number) ^ ((word >>> 8) & 0xff);
  target[offset + 3] = (target[offset + 3] as number) ^ (word & 0xff);
}

function readUint32(source: Uint8Array, offset: number): number {
  const b0 = source[offset] as number;
  const b1 = source[offset + 1] as number;
  const b2 = source[offset + 2] as number;
  const b3 = source[offset + 3] as number;
  return ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
}

/** Writes base nonce XOR (uint32(0) || uint64(seq)) into `out` (12 bytes) and returns it. */
function groupNonceInto(out: Uint8Array, baseNonce: Uint8Array, seq: bigint | number): Uint8Array {
  for (let index = 0; index < AEAD_NONCE_LENGTH; index++) out[index] = baseNonce[index] as number;
  xorUint32(out, 4, highWord(seq));
  xorUint32(out, 8, lowWord(seq));
  return out;
}

/** Nonce = base nonce XOR seq as a 12-byte big-endian integer, as RFC 9180 section 5.2 ComputeNonce. */
export function groupNonce(baseNonce: Uint8Array, seq: bigint | number): Uint8Array {
  checkSeq(seq);
  return groupNonceInto(new Uint8Array(AEAD_NONCE_LENGTH), baseNonce, seq);
}

function writeGroupHeader(target: Uint8Array, flags: number, epochId: Uint8Array, seq: bigint | number): void {
  target[0] = ENVELOPE_VERSION;
  target[1] = SUITE_X25519_SHA256_CHACHA20POLY1305;
  target[2] = TYPE_GROUP;
  target[3] = flags;
  for (let index = 0; index < EPOCH_ID_LENGTH; index++) target[EPOCH_ID_OFFSET + index] = epochId[index] as number;
  writeUint32(target, SEQ_OFFSET, highWord(seq));
  writeUint32(target, SEQ_OFFSET + 4, lowWord(seq));
}

/**
 * Returns a new AAD buffer for `topic`: 20 zero bytes where the header goes, then uint16 topic
 * length and the topic UTF-8. Raises RangeError for a topic above 65535 bytes.
 */
function topicAad(topic: string): Uint8Array {
  const topicBytes = utf8ToBytes(topic);
  if (topicBytes.length > 0xffff) throw new RangeError(`topic must be at most 65535 UTF-8 bytes, got ${topicBytes.length}`);
  const aad = new Uint8Array(GROUP_HEADER_LENGTH + 2 + topicBytes.length);
  aad.set(uint16(topicBytes.length), GROUP_HEADER_LENGTH);
  aad.set(topicBytes, GROUP_HEADER_LENGTH + 2);
  return aad;
}

/** Copies the 20 header bytes of `envelope` into the start of `aad`. */
function copyHeader(aad: Uint8Array, envelope: Uint8Array): void {
  // An index loop, because a subarray costs more to create than these 20 copies.
  for (let index = 0; index < GROUP_HEADER_LENGTH; index++) aad[index] = envelope[index] as number;
}

/** AAD = 20 header bytes || uint16 topic length || topic UTF-8, as in direct mode. */
export function groupAad(header: Uint8Array, topic: string): Uint8Array {
  const aad = topicAad(topic);
  const headerBytes = header.subarray(0, GROUP_HEADER_LENGTH);
  if (headerBytes.length < GROUP_HEADER_LENGTH) return concatBytes(headerBytes, aad.subarray(GROUP_HEADER_LENGTH));
  aad.set(headerBytes);
  return aad;
}

/**
 * Seals one group message into an array from `allocate`: header, then ciphertext and tag written
 * in place, then the signature. `aad` is the topic AAD of the message topic (its header part is
 * written here) and `nonce` a 12-byte scratch buffer.
 */
function sealGroupMessage(
  provider: CryptoProvider,
  epoch: EpochKeys,
  seq: bigint | number,
  aad: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  signer: SigningKeyPair | undefined,
  allocate: (length: number) => Uint8Array,
): Uint8Array {
  const sealedLength = plaintext.length + AEAD_TAG_LENGTH;
  const signatureLength = signer === undefined ? 0 : ED25519_SIGNATURE_LENGTH;
  const envelope = allocate(GROUP_HEADER_LENGTH + sealedLength + signatureLength);
  writeGroupHeader(envelope, signer === undefined ? 0 : FLAG_SIGNED, epoch.epochId, seq);
  copyHeader(aad, envelope);
  const sealed = new Uint8Array(envelope.buffer, envelope.byteOffset + GROUP_HEADER_LENGTH, sealedLength);
  sealInto(provider, epoch.key, groupNonceInto(nonce, epoch.baseNonce, seq), aad, plaintext, sealed);
  if (signer !== undefined) {
    envelope.set(signBytes(signer, concatBytes(SIGNATURE_CONTEXT, aad, sealed)), GROUP_HEADER_LENGTH + sealedLength);
  }
  return envelope;
}

/** Seals one group message. The caller guarantees that (epoch, seq) is never used twice. */
export function sealGroup(
  provider: CryptoProvider,
  epoch: EpochKeys,
  seq: bigint | number,
  topic: string,
  plaintext: Uint8Array,
  signer?: SigningKeyPair,
): Uint8Array {
  checkSeq(seq);
  const aad = topicAad(topic);
  return sealGroupMessage(provider, epoch, seq, aad, new Uint8Array(AEAD_NONCE_LENGTH), plaintext, signer, (length) => new Uint8Array(length));
}

/**
 * Checks a group header and returns its flags byte. Version and suite errors match the direct
 * envelope, and a truncated envelope or reserved flag bits raise EnvelopeFormatError.
 */
export function checkGroupHeader(envelope: Uint8Array): number {
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
  return flags;
}

/**
 * Reads the seq of a checked group envelope: a number below 2^53, so that the common case needs
 * no BigInt, and a bigint above.
 */
export function readGroupSeq(envelope: Uint8Array): bigint | number {
  const high = readUint32(envelope, SEQ_OFFSET);
  const low = readUint32(envelope, SEQ_OFFSET + 4);
  if (high < 0x20_0000) return high * TWO_POW_32 + low;
  return (BigInt(high) << 32n) | BigInt(low);
}

/** Epoch id of a checked group envelope, 16 hex characters. */
export function groupEpochIdHex(envelope: Uint8Array): string {
  return bytesToHex(envelope.subarray(EPOCH_ID_OFFSET, EPOCH_ID_OFFSET + EPOCH_ID_LENGTH));
}

/** Returns whether a checked group envelope names the epoch with id `epochId` (8 bytes). */
export function namesEpoch(envelope: Uint8Array, epochId: Uint8Array): boolean {
  for (let index = 0; index < EPOCH_ID_LENGTH; index++) {
    if (envelope[EPOCH_ID_OFFSET + index] !== epochId[index]) return false;
  }
  return true;
}

/**
 * Parses a group header. Version and suite errors match the direct envelope; a truncated
 * envelope or reserved flag bits raise EnvelopeFormatError.
 */
export function parseGroupHeader(envelope: Uint8Array): GroupHeader {
  const flags = checkGroupHeader(envelope);
  return { flags, epochId: envelope.slice(EPOCH_ID_OFFSET, EPOCH_ID_OFFSET + EPOCH_ID_LENGTH), seq: BigInt(readGroupSeq(envelope)) };
}

/**
 * Checks the signature rules and opens a group message into an array from `allocate`. `aad`
 * contains the AAD of the envelope's header and topic, and `nonce` is a 12-byte scratch buffer.
 */
function openGroupMessage(
  provider: CryptoProvider,
  epoch: EpochKeys,
  flags: number,
  seq: bigint | number,
  aad: Uint8Array,
  nonce: Uint8Array,
  envelope: Uint8Array,
  signerKey: Uint8Array | undefined,
  allocate: (length: number) => Uint8Array,
): Uint8Array {
  const signed = (flags & FLAG_SIGNED) !== 0;
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
  return openWith(provider, allocate, epoch.key, groupNonceInto(nonce, epoch.baseNonce, seq), aad, sealed);
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
  checkSeq(header.seq);
  const aad = groupAad(envelope, topic);
  return openGroupMessage(provider, epoch, header.flags, header.seq, aad, new Uint8Array(AEAD_NONCE_LENGTH), envelope, signerKey, (length) => new Uint8Array(length));
}

/**
 * Seals and opens the group envelopes of one GroupSender or GroupReceiver with reused buffers:
 * the AAD of the last topic, one nonce, and a BytePool for envelopes and plaintexts. Native AEAD
 * code reads the AAD and nonce, and V8 moves a new small typed array each time one is handed to
 * it, so a message allocates only its pooled output.
 */
export class GroupCipher {
  readonly #provider: CryptoProvider;
  readonly #pool = new BytePool();
  readonly #allocate = (length: number): Uint8Array => this.#pool.take(length);
  readonly #nonce = new Uint8Array(AEAD_NONCE_LENGTH);
  #topic: string | undefined;
  #aad: Uint8Array = new Uint8Array(0);

  constructor(provider: CryptoProvider) {
    this.#provider = provider;
  }

  /**
   * Seals like sealGroup. Envelopes up to 4 KiB are views into shared 16 KiB blocks: publish the
   * view as it is, because its `buffer` also contains other envelopes.
   */
  seal(epoch: EpochKeys, seq: bigint | number, topic: string, plaintext: Uint8Array, signer: SigningKeyPair | undefined): Uint8Array {
    checkSeq(seq);
    return sealGroupMessage(this.#provider, epoch, seq, this.#aadFor(topic), this.#nonce, plaintext, signer, this.#allocate);
  }

  /**
   * Opens like openGroup an envelope whose header passed checkGroupHeader, with its flags and
   * seq. Plaintexts up to 4 KiB are views into shared 16 KiB blocks.
   */
  open(epoch: EpochKeys, flags: number, seq: bigint | number, topic: string, envelope: Uint8Array, signerKey: Uint8Array | undefined): Uint8Array {
    const aad = this.#aadFor(topic);
    copyHeader(aad, envelope);
    return openGroupMessage(this.#provider, epoch, flags, seq, aad, this.#nonce, envelope, signerKey, this.#allocate);
  }

  #aadFor(topic: string): Uint8Array {
    if (topic !== this.#topic) {
      this.#aad = topicAad(topic);
      this.#topic = topic;
    }
    return this.#aad;
  }
}
