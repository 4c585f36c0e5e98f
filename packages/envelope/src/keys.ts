import { sha256 } from '@noble/hashes/sha2.js';
import { checkBytes, concat, toHex, utf8 } from './bytes.js';
import { InvalidKeyError } from './errors.js';
import { deriveKeyPair as deriveWith, type KeyPair } from './dhkem.js';
import { nobleProvider } from './providers/noble.js';
import { X25519_KEY_LENGTH, type CryptoProvider } from './provider.js';

/** Length of a key id in bytes. */
export const KEY_ID_LENGTH = 8;

const KEY_ID_LABEL = utf8('mqtt-e2ee key id v1');

/** Generates a random X25519 key pair. */
export function generateKeyPair(provider: CryptoProvider = nobleProvider): KeyPair {
  return keyPairFromSecretKey(provider.randomBytes(X25519_KEY_LENGTH), provider);
}

/** Rebuilds a key pair from a copy of a 32-byte X25519 secret key. */
export function keyPairFromSecretKey(secretKey: Uint8Array, provider: CryptoProvider = nobleProvider): KeyPair {
  checkBytes(secretKey, 'secret key', X25519_KEY_LENGTH);
  const copy = secretKey.slice();
  return { secretKey: copy, publicKey: provider.x25519PublicKey(copy) };
}

/** Derives a key pair from at least 32 bytes of ikm (RFC 9180 section 7.1.3, DeriveKeyPair). */
export function deriveKeyPair(ikm: Uint8Array, provider: CryptoProvider = nobleProvider): KeyPair {
  return deriveWith(provider, ikm);
}

/** Computes the 8-byte key id: the first 8 bytes of SHA-256("mqtt-e2ee key id v1" || publicKey). */
export function keyId(publicKey: Uint8Array): Uint8Array {
  checkBytes(publicKey, 'public key', X25519_KEY_LENGTH);
  return sha256(concat(KEY_ID_LABEL, publicKey)).slice(0, KEY_ID_LENGTH);
}

/** Computes the key id as 16 lowercase hex characters. */
export function keyIdHex(publicKey: Uint8Array): string {
  return toHex(keyId(publicKey));
}

/** The field prime of Curve25519, p = 2^255 - 19 (RFC 7748 section 4.1), as 32 little-endian bytes. */
const CURVE25519_P_LE = new Uint8Array(X25519_KEY_LENGTH).fill(0xff);
CURVE25519_P_LE[0] = 0xed;
CURVE25519_P_LE[X25519_KEY_LENGTH - 1] = 0x7f;

/**
 * Returns true when `encoded` is the canonical encoding of an X25519 u-coordinate: 32 bytes that
 * read as a little-endian integer below p = 2^255 - 19, which also means that bit 255 is clear.
 * X25519 itself masks bit 255 and reduces larger values (RFC 7748 section 5), but envelope v1
 * rejects such encodings of public keys and enc, because no honest key ever has one.
 */
export function isCanonicalPublicKey(encoded: Uint8Array): boolean {
  checkBytes(encoded, 'public key', X25519_KEY_LENGTH);
  // Compares from the most significant byte down. Public keys are not secret, so the early exit
  // leaks nothing.
  for (let i = X25519_KEY_LENGTH - 1; i >= 0; i--) {
    const byte = encoded[i] as number;
    const limit = CURVE25519_P_LE[i] as number;
    if (byte !== limit) return byte < limit;
  }
  return false;
}

/** Checks length and canonical encoding of a static public key, raising InvalidKeyError for the latter. */
export function checkPublicKey(publicKey: unknown, field: string): Uint8Array {
  const key = checkBytes(publicKey, field, X25519_KEY_LENGTH);
  if (!isCanonicalPublicKey(key)) {
    throw new InvalidKeyError(
      `${field} is not a canonical X25519 public key (it must be a little-endian integer below 2^255 - 19): check the key source.`,
    );
  }
  return key;
}
