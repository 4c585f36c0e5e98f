import {
  generateKeyPair,
  keyIdHex as keyIdHexOfBytes,
  keyPairFromSecretKey,
  nobleProvider,
  type CryptoProvider,
  type KeyPair,
} from '@mqtt-e2ee/envelope';
import {
  decodeSecretKey,
  encodePublicKey,
  encodeSecretKey,
  toPublicKey,
  type PublicKeyInput,
} from './keytext.js';
import { generateSigningKeyPair, type SigningKeyPair } from './signing.js';

/** Generates a new random X25519 identity (a key pair). */
export function generateIdentity(provider: CryptoProvider = nobleProvider): KeyPair {
  return generateKeyPair(provider);
}

/** Rebuilds an identity from secret key text ("mqe2e-sk1-…"). */
export function identityFromSecretKeyText(text: string, provider: CryptoProvider = nobleProvider): KeyPair {
  return keyPairFromSecretKey(decodeSecretKey(text), provider);
}

function isKeyPair(value: unknown): value is KeyPair {
  return (
    typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && 'publicKey' in value
  );
}

function publicKeyOf(key: PublicKeyInput | KeyPair): Uint8Array {
  return isKeyPair(key) ? toPublicKey(key.publicKey) : toPublicKey(key);
}

/** Returns the public key text ("mqe2e-pk1-…") of an identity, raw public key or public key text. */
export function publicKeyText(key: PublicKeyInput | KeyPair): string {
  return encodePublicKey(publicKeyOf(key));
}

/** Returns the secret key text ("mqe2e-sk1-…") of an identity. Store it only in a 0600 file. */
export function secretKeyText(identity: KeyPair): string {
  return encodeSecretKey(identity.secretKey);
}

/** Computes the key id (16 lowercase hex characters) of an identity, raw public key or public key text. */
export function keyIdHex(key: PublicKeyInput | KeyPair): string {
  return keyIdHexOfBytes(publicKeyOf(key));
}

/**
 * An identity with an Ed25519 signing key besides its X25519 key pair. It can be passed anywhere a
 * KeyPair is expected; the signing key signs its key announcements.
 */
export interface DeviceIdentity extends KeyPair {
  readonly signing: SigningKeyPair;
}

/** Returns whether an identity has a signing key. */
export function hasSigningKey(identity: KeyPair): identity is DeviceIdentity {
  const signing = (identity as Partial<DeviceIdentity>).signing;
  return typeof signing === 'object' && signing !== null && signing.secretKey instanceof Uint8Array;
}

/** Generates a new identity with a random X25519 key pair and a random Ed25519 signing key pair. */
export function generateDeviceIdentity(provider: CryptoProvider = nobleProvider): DeviceIdentity {
  return { ...generateKeyPair(provider), signing: generateSigningKeyPair(provider) };
}

/** Adds a new random signing key to an identity that has none, or returns the identity unchanged. */
export function withSigningKey(identity: KeyPair, provider: CryptoProvider = nobleProvider): DeviceIdentity {
  if (hasSigningKey(identity)) return identity;
  return { secretKey: identity.secretKey, publicKey: identity.publicKey, signing: generateSigningKeyPair(provider) };
}
