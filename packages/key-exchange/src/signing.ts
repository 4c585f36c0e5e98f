/**
 * Ed25519 signing keys (RFC 8032) of devices and trust anchors, their key texts and fingerprints.
 * A device signs its key announcements with its signing key; an anchor endorses device keys and
 * signs revocations.
 */
import { nobleProvider, type CryptoProvider } from '@mqtt-e2ee/envelope';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { KeyFormatError, type KeyKind } from './errors.js';
import { decodeKeyText, encodeKeyText } from './keytext.js';

/** Ed25519 public key and secret key (seed) length in bytes (RFC 8032 section 5.1.5). */
export const ED25519_KEY_LENGTH = 32;
/** Ed25519 signature length in bytes (RFC 8032 section 5.1.6). */
export const ED25519_SIGNATURE_LENGTH = 64;

/** An Ed25519 key pair: the 32-byte secret seed and its public key. */
export interface SigningKeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

const FINGERPRINT_LABEL = utf8ToBytes('mqtt-e2ee signing key id v1');

function checkLength(kind: KeyKind, field: string, bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`${field} must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  if (bytes.length !== ED25519_KEY_LENGTH) {
    throw new KeyFormatError(kind, 'length', `${field} must be ${ED25519_KEY_LENGTH} bytes long, got ${bytes.length} bytes.`);
  }
  return bytes;
}

/**
 * Checks that raw bytes are a usable Ed25519 public key: 32 bytes that decode to a curve point
 * (RFC 8032 section 5.1.3) of full order, so small-order keys that verify forged signatures
 * are rejected. Returns a copy.
 */
export function checkSigningPublicKey(publicKey: unknown, kind: KeyKind = 'signing-public'): Uint8Array {
  const bytes = checkLength(kind, 'Signing public key', publicKey);
  let smallOrder: boolean;
  try {
    smallOrder = ed25519.Point.fromBytes(bytes).isSmallOrder();
  } catch (error) {
    throw new KeyFormatError(
      kind,
      'invalid-point',
      'Signing public key is not a valid Ed25519 point: copy the key again from its .pub file.',
      { cause: error },
    );
  }
  if (smallOrder) {
    throw new KeyFormatError(
      kind,
      'low-order',
      'Signing public key is a small-order Ed25519 point, which no real key pair has: ask for the real key.',
    );
  }
  return bytes.slice();
}

/** Generates an Ed25519 key pair from 32 random bytes of `provider`. */
export function generateSigningKeyPair(provider: CryptoProvider = nobleProvider): SigningKeyPair {
  return signingKeyPairFromSecretKey(provider.randomBytes(ED25519_KEY_LENGTH));
}

/** Rebuilds an Ed25519 key pair from a copy of its 32-byte seed. */
export function signingKeyPairFromSecretKey(secretKey: Uint8Array): SigningKeyPair {
  const seed = checkLength('signing-secret', 'Signing secret key', secretKey).slice();
  return { secretKey: seed, publicKey: ed25519.getPublicKey(seed) };
}

/** Signs `message` with Ed25519 (RFC 8032 section 5.1.6). The result is deterministic. */
export function signBytes(pair: SigningKeyPair, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, pair.secretKey);
}

/**
 * Verifies an Ed25519 signature with the strict rules of RFC 8032 section 5.1.7 (no ZIP-215
 * leniency), so each message and key have exactly one accepted signature encoding. Returns false
 * for any malformed input instead of throwing.
 */
export function verifyBytes(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_LENGTH || publicKey.length !== ED25519_KEY_LENGTH) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Computes the signing key id: 16 hex characters of SHA-256("mqtt-e2ee signing key id v1" || publicKey). */
export function signingKeyIdHex(publicKey: Uint8Array): string {
  checkLength('signing-public', 'Signing public key', publicKey);
  return bytesToHex(sha256(concatBytes(FINGERPRINT_LABEL, publicKey)).subarray(0, 8));
}

/**
 * Computes the full fingerprint of a signing or anchor public key: 64 hex characters of the same
 * hash. Pins compare whole fingerprints, because an 8-byte id can be forced to collide.
 */
export function signingKeyFingerprint(publicKey: Uint8Array): string {
  checkLength('signing-public', 'Signing public key', publicKey);
  return bytesToHex(sha256(concatBytes(FINGERPRINT_LABEL, publicKey)));
}

/** Encodes a device signing public key as "mqe2e-sp1-…". */
export function encodeSigningPublicKey(publicKey: Uint8Array): string {
  return encodeKeyText('signing-public', checkSigningPublicKey(publicKey));
}

/** Decodes "mqe2e-sp1-…" strictly. */
export function decodeSigningPublicKey(text: string): Uint8Array {
  return checkSigningPublicKey(decodeKeyText('signing-public', text));
}

/** Encodes a device signing seed as "mqe2e-ss1-…". Keep the result secret. */
export function encodeSigningSecretKey(secretKey: Uint8Array): string {
  return encodeKeyText('signing-secret', checkLength('signing-secret', 'Signing secret key', secretKey));
}

/** Decodes "mqe2e-ss1-…" strictly into a key pair. Errors never include any part of the text. */
export function decodeSigningSecretKey(text: string): SigningKeyPair {
  return signingKeyPairFromSecretKey(decodeKeyText('signing-secret', text));
}

/** Encodes an anchor public key as "mqe2e-ap1-…". */
export function encodeAnchorPublicKey(publicKey: Uint8Array): string {
  return encodeKeyText('anchor-public', checkSigningPublicKey(publicKey, 'anchor-public'));
}

/** Decodes "mqe2e-ap1-…" strictly. */
export function decodeAnchorPublicKey(text: string): Uint8Array {
  return checkSigningPublicKey(decodeKeyText('anchor-public', text), 'anchor-public');
}

/** Encodes an anchor seed as "mqe2e-as1-…". Keep the result offline and secret. */
export function encodeAnchorSecretKey(secretKey: Uint8Array): string {
  return encodeKeyText('anchor-secret', checkLength('anchor-secret', 'Anchor secret key', secretKey));
}

/** Decodes "mqe2e-as1-…" strictly into a key pair. */
export function decodeAnchorSecretKey(text: string): SigningKeyPair {
  return signingKeyPairFromSecretKey(decodeKeyText('anchor-secret', text));
}

/** Converts anchor key text or raw bytes to checked anchor public key bytes. */
export function toAnchorPublicKey(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? decodeAnchorPublicKey(input) : checkSigningPublicKey(input, 'anchor-public');
}
