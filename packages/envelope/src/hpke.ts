/**
 * HPKE (RFC 9180) for the single suite DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * ChaCha20-Poly1305, in mode_base and mode_auth. The key schedule is built on provider primitives.
 */
import { checkBytes, checkInteger, concat, i2osp, utf8 } from './bytes.js';
import { authDecap, authEncap, decap, encap, KEM_ID, type EncapOptions } from './dhkem.js';
import { HASH_LENGTH, labeledExpand, labeledExtract } from './kdf.js';
import { nobleProvider } from './providers/noble.js';
import { AEAD_KEY_LENGTH, AEAD_NONCE_LENGTH, openWith, sealInto, type CryptoProvider } from './provider.js';

/** KDF id of HKDF-SHA256 (RFC 9180 section 7.2). */
export const KDF_ID = 0x0001;
/** AEAD id of ChaCha20-Poly1305 (RFC 9180 section 7.3). */
export const AEAD_ID = 0x0003;
/** mode_base (RFC 9180 section 5). */
export const MODE_BASE = 0x00;
/** mode_auth (RFC 9180 section 5). */
export const MODE_AUTH = 0x02;

/** Largest sequence number, 2^96 - 2, because RFC 9180 section 5.2 stops a context at seq 2^(8*Nn) - 1. */
export const MAX_SEQ = (1n << BigInt(8 * AEAD_NONCE_LENGTH)) - 2n;

/** Largest value that I2OSP(seq, Nn) can encode, 2^96 - 1. */
const MAX_NONCE_SEQ = (1n << BigInt(8 * AEAD_NONCE_LENGTH)) - 1n;
const MAX_SAFE_SEQ = BigInt(Number.MAX_SAFE_INTEGER);

/** suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2) (RFC 9180 section 5.1). */
const HPKE_SUITE_ID = concat(utf8('HPKE'), i2osp(KEM_ID, 2), i2osp(KDF_ID, 2), i2osp(AEAD_ID, 2));
const EMPTY = new Uint8Array(0);

/** Secrets produced by KeySchedule (RFC 9180 section 5.1). */
export interface KeyScheduleOutput {
  key: Uint8Array;
  baseNonce: Uint8Array;
  exporterSecret: Uint8Array;
}

/** Options of the setup functions. */
export interface SetupOptions extends EncapOptions {
  /** Crypto backend. Defaults to nobleProvider. */
  provider?: CryptoProvider;
}

/**
 * KeySchedule (RFC 9180 section 5.1) for the modes without a PSK, so psk and psk_id are empty
 * as VerifyPSKInputs requires for mode_base and mode_auth.
 */
export function keySchedule(
  provider: CryptoProvider,
  mode: typeof MODE_BASE | typeof MODE_AUTH,
  sharedSecret: Uint8Array,
  info: Uint8Array,
): KeyScheduleOutput {
  if (mode !== MODE_BASE && mode !== MODE_AUTH) {
    throw new RangeError(`HPKE mode must be 0x00 (base) or 0x02 (auth), got ${String(mode)}`);
  }
  checkBytes(sharedSecret, 'shared secret');
  checkBytes(info, 'info');
  const pskIdHash = labeledExtract(provider, HPKE_SUITE_ID, EMPTY, 'psk_id_hash', EMPTY);
  const infoHash = labeledExtract(provider, HPKE_SUITE_ID, EMPTY, 'info_hash', info);
  const context = concat(Uint8Array.of(mode), pskIdHash, infoHash);
  const secret = labeledExtract(provider, HPKE_SUITE_ID, sharedSecret, 'secret', EMPTY);
  return {
    key: labeledExpand(provider, HPKE_SUITE_ID, secret, 'key', context, AEAD_KEY_LENGTH),
    baseNonce: labeledExpand(provider, HPKE_SUITE_ID, secret, 'base_nonce', context, AEAD_NONCE_LENGTH),
    exporterSecret: labeledExpand(provider, HPKE_SUITE_ID, secret, 'exp', context, HASH_LENGTH),
  };
}

/** ComputeNonce (RFC 9180 section 5.2): base_nonce XOR I2OSP(seq, Nn). */
export function computeNonce(baseNonce: Uint8Array, seq: bigint): Uint8Array {
  return computeNonceInto(new Uint8Array(AEAD_NONCE_LENGTH), baseNonce, seq);
}

/**
 * ComputeNonce into `nonce`, which it returns. `seq` is a bigint, or a number that the caller
 * checked to be a safe non-negative integer.
 */
function computeNonceInto(nonce: Uint8Array, baseNonce: Uint8Array, seq: bigint | number): Uint8Array {
  checkBytes(baseNonce, 'base nonce', AEAD_NONCE_LENGTH);
  if (typeof seq === 'number' || (seq >= 0n && seq <= MAX_SAFE_SEQ)) {
    // Below 2^53 the seq fits a double, so I2OSP(seq, 12) is zero bytes followed by a high
    // 32-bit word and a low 32-bit word, XORed in place without BigInt arithmetic.
    const value = Number(seq);
    nonce.set(baseNonce);
    xorWord(nonce, 8, value >>> 0);
    xorWord(nonce, 4, Math.floor(value / 2 ** 32));
    return nonce;
  }
  if (seq < 0n || seq > MAX_NONCE_SEQ) {
    throw new RangeError(`value must fit in ${AEAD_NONCE_LENGTH} unsigned bytes, got ${seq}`);
  }
  nonce.set(baseNonce);
  const view = new DataView(nonce.buffer, nonce.byteOffset, AEAD_NONCE_LENGTH);
  // I2OSP(seq, 12) is seq >> 64 in the first 4 bytes and the low 64 bits in the last 8 bytes.
  view.setUint32(0, view.getUint32(0) ^ Number(seq >> 64n));
  view.setBigUint64(4, view.getBigUint64(4) ^ BigInt.asUintN(64, seq));
  return nonce;
}

/** XORs the big-endian 32-bit `word` into `bytes` at `offset`. */
function xorWord(bytes: Uint8Array, offset: number, word: number): void {
  bytes[offset] = (bytes[offset] as number) ^ (word >>> 24);
  bytes[offset + 1] = (bytes[offset + 1] as number) ^ ((word >>> 16) & 0xff);
  bytes[offset + 2] = (bytes[offset + 2] as number) ^ ((word >>> 8) & 0xff);
  bytes[offset + 3] = (bytes[offset + 3] as number) ^ (word & 0xff);
}

/** Checks a seq and returns it: a number stays a number, because it is below 2^53 and so below MAX_SEQ. */
function checkSeq(seq: bigint | number): bigint | number {
  if (typeof seq === 'number') {
    if (!Number.isSafeInteger(seq)) throw new TypeError(`seq must be a safe integer or bigint, got ${seq}`);
    if (seq < 0) throw new RangeError(`seq must be between 0 and 2^96 - 2, got ${seq}`);
    return seq;
  }
  if (typeof seq !== 'bigint') {
    throw new TypeError(`seq must be a bigint or number, got ${typeof seq}`);
  }
  if (seq < 0n || seq > MAX_SEQ) {
    throw new RangeError(`seq must be between 0 and 2^96 - 2, got ${seq}`);
  }
  return seq;
}

/** Role of a context: a sender context only seals and a recipient context only opens (RFC 9180 section 5.2). */
export type ContextRole = 'sender' | 'recipient';

/**
 * An HPKE encryption context (RFC 9180 section 5.2). Without an explicit `seq`, seal and open
 * use the context's own counter and advance it. With an explicit `seq` they use that number and
 * leave the counter alone, so a receiver can open messages in any order. A caller that passes
 * seq must never seal two different messages with the same seq.
 */
export class HpkeContext {
  readonly role: ContextRole;
  readonly #provider: CryptoProvider;
  readonly #key: Uint8Array;
  readonly #baseNonce: Uint8Array;
  readonly #exporterSecret: Uint8Array;
  /**
   * Nonce buffer reused by every seal and open, because a new small typed array per message is
   * slow to hand to native AEAD code. Providers use the nonce only during the call.
   */
  readonly #nonce = new Uint8Array(AEAD_NONCE_LENGTH);
  #seq = 0n;

  constructor(provider: CryptoProvider, role: ContextRole, secrets: KeyScheduleOutput) {
    this.#provider = provider;
    this.role = role;
    this.#key = secrets.key;
    this.#baseNonce = secrets.baseNonce;
    this.#exporterSecret = secrets.exporterSecret;
  }

  /** Next sequence number used when seal or open gets no explicit seq. */
  get seq(): bigint {
    return this.#seq;
  }

  /** Encrypts `plaintext` with `aad` (RFC 9180 section 5.2, ContextS.Seal). */
  seal(aad: Uint8Array, plaintext: Uint8Array, seq?: bigint | number): Uint8Array {
    if (this.role !== 'sender') throw new TypeError('seal requires a sender context, got a recipient context');
    const used = this.#takeSeq(seq);
    const nonce = computeNonceInto(this.#nonce, this.#baseNonce, used);
    return this.#provider.aeadSeal(this.#key, nonce, aad, plaintext);
  }

  /**
   * ContextS.Seal at an explicit `seq`, writing ciphertext || tag into `out`, which must be
   * plaintext.length + 16 bytes long. It allocates nothing, for a caller that builds the whole
   * message in one array.
   */
  sealInto(aad: Uint8Array, plaintext: Uint8Array, seq: bigint | number, out: Uint8Array): void {
    if (this.role !== 'sender') throw new TypeError('seal requires a sender context, got a recipient context');
    const nonce = computeNonceInto(this.#nonce, this.#baseNonce, checkSeq(seq));
    sealInto(this.#provider, this.#key, nonce, aad, plaintext, out);
  }

  /**
   * ContextR.Open at an explicit `seq`, with the plaintext written into bytes from `allocate`.
   * Raises DecryptionError.
   */
  openWith(
    aad: Uint8Array,
    ciphertext: Uint8Array,
    seq: bigint | number,
    allocate: (length: number) => Uint8Array,
  ): Uint8Array {
    if (this.role !== 'recipient') throw new TypeError('open requires a recipient context, got a sender context');
    const nonce = computeNonceInto(this.#nonce, this.#baseNonce, checkSeq(seq));
    return openWith(this.#provider, allocate, this.#key, nonce, aad, ciphertext);
  }

  /** Decrypts ciphertext || tag with `aad` (RFC 9180 section 5.2, ContextR.Open). Raises DecryptionError. */
  open(aad: Uint8Array, ciphertext: Uint8Array, seq?: bigint | number): Uint8Array {
    if (this.role !== 'recipient') throw new TypeError('open requires a recipient context, got a sender context');
    const used = seq === undefined ? this.#seq : checkSeq(seq);
    const nonce = computeNonceInto(this.#nonce, this.#baseNonce, used);
    const plaintext = this.#provider.aeadOpen(this.#key, nonce, aad, ciphertext);
    // The counter advances only after a successful open, as in RFC 9180 section 5.2.
    if (seq === undefined) this.#seq = BigInt(used) + 1n;
    return plaintext;
  }

  /** Derives `length` bytes bound to this context (RFC 9180 section 5.3, Export). */
  export(exporterContext: Uint8Array, length: number): Uint8Array {
    checkBytes(exporterContext, 'exporter context');
    checkInteger(length, 'export length', 0, 255 * HASH_LENGTH);
    return labeledExpand(this.#provider, HPKE_SUITE_ID, this.#exporterSecret, 'sec', exporterContext, length);
  }

  #takeSeq(seq: bigint | number | undefined): bigint | number {
    if (seq !== undefined) return checkSeq(seq);
    const used = this.#seq;
    checkSeq(used);
    this.#seq = used + 1n;
    return used;
  }
}

/** Result of a sender setup: the encapsulated key to send and the sealing context. */
export interface SenderSetup {
  enc: Uint8Array;
  context: HpkeContext;
}

/** SetupBaseS(pkR, info) (RFC 9180 section 5.1.1). */
export function setupBaseS(pkR: Uint8Array, info: Uint8Array, options?: SetupOptions): SenderSetup {
  const provider = options?.provider ?? nobleProvider;
  const { sharedSecret, enc } = encap(provider, pkR, options);
  const secrets = keySchedule(provider, MODE_BASE, sharedSecret, info);
  return { enc, context: new HpkeContext(provider, 'sender', secrets) };
}

/** SetupBaseR(enc, skR, info) (RFC 9180 section 5.1.1). */
export function setupBaseR(
  enc: Uint8Array,
  skR: Uint8Array,
  info: Uint8Array,
  options?: SetupOptions,
): HpkeContext {
  const provider = options?.provider ?? nobleProvider;
  const sharedSecret = decap(provider, enc, skR);
  return new HpkeContext(provider, 'recipient', keySchedule(provider, MODE_BASE, sharedSecret, info));
}

/** SetupAuthS(pkR, info, skS) (RFC 9180 section 5.1.3). */
export function setupAuthS(
  pkR: Uint8Array,
  info: Uint8Array,
  skS: Uint8Array,
  options?: SetupOptions,
): SenderSetup {
  const provider = options?.provider ?? nobleProvider;
  const { sharedSecret, enc } = authEncap(provider, pkR, skS, options);
  const secrets = keySchedule(provider, MODE_AUTH, sharedSecret, info);
  return { enc, context: new HpkeContext(provider, 'sender', secrets) };
}

/** SetupAuthR(enc, skR, info, pkS) (RFC 9180 section 5.1.3). */
export function setupAuthR(
  enc: Uint8Array,
  skR: Uint8Array,
  info: Uint8Array,
  pkS: Uint8Array,
  options?: SetupOptions,
): HpkeContext {
  const provider = options?.provider ?? nobleProvider;
  const sharedSecret = authDecap(provider, enc, skR, pkS);
  return new HpkeContext(provider, 'recipient', keySchedule(provider, MODE_AUTH, sharedSecret, info));
}
