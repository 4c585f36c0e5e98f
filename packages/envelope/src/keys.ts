import { sha256 } from '@noble/hashes/sha2.js';
import { checkBytes, concat, toHex, utf8 } from './bytes.js';
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
