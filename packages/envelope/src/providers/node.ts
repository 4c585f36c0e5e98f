import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { AEAD_TAG_LENGTH, defineProvider, type CryptoProvider } from '../provider.js';

// DER prefixes that wrap a raw 32-byte X25519 key (OID 1.3.101.110, RFC 8410 sections 4 and 7):
// a PKCS #8 PrivateKeyInfo for secret keys and a SubjectPublicKeyInfo for public keys.
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function secretKeyObject(secretKey: Uint8Array): KeyObject {
  const der = Buffer.concat([PKCS8_X25519_PREFIX, secretKey]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const der = Buffer.concat([SPKI_X25519_PREFIX, publicKey]);
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/** Copies a Buffer into a plain Uint8Array that does not share the Buffer pool. */
function plain(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer);
}

function aeadSealInto(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
): void {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  out.set(body);
  const rest = cipher.final();
  out.set(rest, body.length);
  out.set(cipher.getAuthTag(), plaintext.length);
}

function aeadOpenInto(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  out: Uint8Array,
): void {
  const split = sealed.length - AEAD_TAG_LENGTH;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  decipher.setAuthTag(sealed.subarray(split));
  decipher.setAAD(aad, { plaintextLength: split });
  const body = decipher.update(sealed.subarray(0, split));
  // final() throws when the tag does not verify, before anything is written to `out`.
  const rest = decipher.final();
  out.set(body);
  out.set(rest, body.length);
}

function aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(plaintext.length + AEAD_TAG_LENGTH);
  aeadSealInto(key, nonce, aad, plaintext, out);
  return out;
}

function aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  const out = new Uint8Array(sealed.length - AEAD_TAG_LENGTH);
  aeadOpenInto(key, nonce, aad, sealed, out);
  return out;
}

/** Provider built on node:crypto (OpenSSL): X25519, SHA-256, HMAC and ChaCha20-Poly1305. */
export const nodeProvider: CryptoProvider = defineProvider('node', {
  randomBytes: (length) => plain(randomBytes(length)),
  // OpenSSL 3 raises ERR_OSSL_FAILED_DURING_DERIVATION for an all-zero X25519 result, and
  // defineProvider maps it to InvalidKeyError.
  x25519: (secretKey, publicKey) =>
    plain(diffieHellman({ privateKey: secretKeyObject(secretKey), publicKey: publicKeyObject(publicKey) })),
  x25519PublicKey: (secretKey) => {
    const spki = createPublicKey(secretKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
    return plain(spki.subarray(SPKI_X25519_PREFIX.length));
  },
  sha256: (data) => plain(createHash('sha256').update(data).digest()),
  hmacSha256: (key, data) => plain(createHmac('sha256', key).update(data).digest()),
  aeadSeal,
  aeadOpen,
  aeadSealInto,
  aeadOpenInto,
});
