import { checkBytes, concat, i2osp, utf8 } from './bytes.js';
import { labeledExpand, labeledExtract } from './kdf.js';
import { X25519_KEY_LENGTH, type CryptoProvider } from './provider.js';

/** KEM id of DHKEM(X25519, HKDF-SHA256) (RFC 9180 section 7.1). */
export const KEM_ID = 0x0020;
/** Length of the KEM shared secret, Nsecret (RFC 9180 section 7.1). */
export const SHARED_SECRET_LENGTH = 32;

const EMPTY = new Uint8Array(0);

/** suite_id = "KEM" || I2OSP(kem_id, 2) (RFC 9180 section 4.1). */
const KEM_SUITE_ID = concat(utf8('KEM'), i2osp(KEM_ID, 2));

/** An X25519 key pair of two 32-byte keys. */
export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Result of Encap or AuthEncap. */
export interface Encapsulation {
  sharedSecret: Uint8Array;
  /** Encapsulated key: the ephemeral public key. */
  enc: Uint8Array;
}

/** Options for the sender side of the KEM. */
export interface EncapOptions {
  /**
   * Input keying material for the ephemeral key, as in the RFC 9180 test vectors. Leave it unset
   * outside conformance tests, because a reused ikmE breaks confidentiality.
   */
  ikmE?: Uint8Array;
}

/**
 * DeriveKeyPair for X25519 (RFC 9180 section 7.1.3): the secret key is
 * LabeledExpand(LabeledExtract("", "dkp_prk", ikm), "sk", "", Nsk), used as the X25519 scalar.
 */
export function deriveKeyPair(provider: CryptoProvider, ikm: Uint8Array): KeyPair {
  checkBytes(ikm, 'ikm');
  if (ikm.length < X25519_KEY_LENGTH) {
    throw new RangeError(`ikm must be at least ${X25519_KEY_LENGTH} bytes long, got ${ikm.length} bytes`);
  }
  const dkpPrk = labeledExtract(provider, KEM_SUITE_ID, EMPTY, 'dkp_prk', ikm);
  const secretKey = labeledExpand(provider, KEM_SUITE_ID, dkpPrk, 'sk', EMPTY, X25519_KEY_LENGTH);
  return { secretKey, publicKey: provider.x25519PublicKey(secretKey) };
}

/** ExtractAndExpand (RFC 9180 section 4.1) over the DH output and kem_context. */
function extractAndExpand(provider: CryptoProvider, dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
  const eaePrk = labeledExtract(provider, KEM_SUITE_ID, EMPTY, 'eae_prk', dh);
  return labeledExpand(provider, KEM_SUITE_ID, eaePrk, 'shared_secret', kemContext, SHARED_SECRET_LENGTH);
}

function ephemeralKeyPair(provider: CryptoProvider, options: EncapOptions | undefined): KeyPair {
  const ikm = options?.ikmE ?? provider.randomBytes(X25519_KEY_LENGTH);
  return deriveKeyPair(provider, ikm);
}

/** Encap(pkR) (RFC 9180 section 4.1). */
export function encap(provider: CryptoProvider, pkR: Uint8Array, options?: EncapOptions): Encapsulation {
  checkBytes(pkR, 'recipient public key', X25519_KEY_LENGTH);
  const ephemeral = ephemeralKeyPair(provider, options);
  const dh = provider.x25519(ephemeral.secretKey, pkR);
  const enc = ephemeral.publicKey;
  return { sharedSecret: extractAndExpand(provider, dh, concat(enc, pkR)), enc };
}

/** Decap(enc, skR) (RFC 9180 section 4.1). */
export function decap(provider: CryptoProvider, enc: Uint8Array, skR: Uint8Array): Uint8Array {
  checkBytes(enc, 'enc', X25519_KEY_LENGTH);
  checkBytes(skR, 'recipient secret key', X25519_KEY_LENGTH);
  const dh = provider.x25519(skR, enc);
  const pkR = provider.x25519PublicKey(skR);
  return extractAndExpand(provider, dh, concat(enc, pkR));
}

/**
 * AuthEncap(pkR, skS) (RFC 9180 section 4.1): dh = DH(skE, pkR) || DH(skS, pkR) and
 * kem_context = enc || pkR || pkS, which binds the sender's static key into the shared secret.
 */
export function authEncap(
  provider: CryptoProvider,
  pkR: Uint8Array,
  skS: Uint8Array,
  options?: EncapOptions,
): Encapsulation {
  checkBytes(pkR, 'recipient public key', X25519_KEY_LENGTH);
  checkBytes(skS, 'sender secret key', X25519_KEY_LENGTH);
  const ephemeral = ephemeralKeyPair(provider, options);
  const dh = concat(provider.x25519(ephemeral.secretKey, pkR), provider.x25519(skS, pkR));
  const enc = ephemeral.publicKey;
  const pkS = provider.x25519PublicKey(skS);
  return { sharedSecret: extractAndExpand(provider, dh, concat(enc, pkR, pkS)), enc };
}

/** AuthDecap(enc, skR, pkS) (RFC 9180 section 4.1). */
export function authDecap(
  provider: CryptoProvider,
  enc: Uint8Array,
  skR: Uint8Array,
  pkS: Uint8Array,
): Uint8Array {
  checkBytes(enc, 'enc', X25519_KEY_LENGTH);
  checkBytes(skR, 'recipient secret key', X25519_KEY_LENGTH);
  checkBytes(pkS, 'sender public key', X25519_KEY_LENGTH);
  const dh = concat(provider.x25519(skR, enc), provider.x25519(skR, pkS));
  const pkR = provider.x25519PublicKey(skR);
  return extractAndExpand(provider, dh, concat(enc, pkR, pkS));
}
