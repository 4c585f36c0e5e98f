import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { AEAD_TAG_LENGTH, defineProvider, X25519_KEY_LENGTH, type CryptoProvider } from '../provider.js';

/** The functions of the sodium-native module (libsodium bindings) that the provider calls. */
export interface SodiumModule {
  randombytes_buf(buffer: Uint8Array): void;
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  crypto_hash_sha256(out: Uint8Array, input: Uint8Array): void;
  crypto_aead_chacha20poly1305_ietf_encrypt(
    c: Uint8Array,
    m: Uint8Array,
    ad: Uint8Array | null,
    nsec: null,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(
    m: Uint8Array,
    nsec: null,
    c: Uint8Array,
    ad: Uint8Array | null,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
}

/**
 * Builds a provider on libsodium through sodium-native: X25519, SHA-256, ChaCha20-Poly1305 and
 * random bytes. HMAC-SHA-256 comes from node:crypto, because sodium-native 5 binds only
 * libsodium's HMAC-SHA-512-256 as crypto_auth.
 */
export function createSodiumProvider(sodium: SodiumModule): CryptoProvider {
  return defineProvider('sodium', {
    randomBytes: (length) => {
      const out = new Uint8Array(length);
      sodium.randombytes_buf(out);
      return out;
    },
    // libsodium returns -1 for a low-order point or an all-zero result, which sodium-native turns
    // into an Error, and defineProvider maps it to InvalidKeyError.
    x25519: (secretKey, publicKey) => {
      const out = new Uint8Array(X25519_KEY_LENGTH);
      sodium.crypto_scalarmult(out, secretKey, publicKey);
      return out;
    },
    x25519PublicKey: (secretKey) => {
      const out = new Uint8Array(X25519_KEY_LENGTH);
      sodium.crypto_scalarmult_base(out, secretKey);
      return out;
    },
    sha256: (data) => {
      const out = new Uint8Array(32);
      sodium.crypto_hash_sha256(out, data);
      return out;
    },
    hmacSha256: (key, data) => new Uint8Array(createHmac('sha256', key).update(data).digest()),
    aeadSeal: (key, nonce, aad, plaintext) => {
      const out = new Uint8Array(plaintext.length + AEAD_TAG_LENGTH);
      sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, aad, null, nonce, key);
      return out;
    },
    aeadOpen: (key, nonce, aad, sealed) => {
      const out = new Uint8Array(sealed.length - AEAD_TAG_LENGTH);
      // A failed tag throws an Error, which defineProvider maps to DecryptionError.
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, sealed, aad, nonce, key);
      return out;
    },
    aeadSealInto: (key, nonce, aad, plaintext, out) => {
      sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, aad, null, nonce, key);
    },
    aeadOpenInto: (key, nonce, aad, sealed, out) => {
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, sealed, aad, nonce, key);
    },
  });
}

/**
 * Loads sodium-native and returns its provider, or undefined when the package is not installed or
 * its native binding does not load on this platform.
 */
export function loadSodiumProvider(
  load: (specifier: string) => unknown = createRequire(import.meta.url),
): CryptoProvider | undefined {
  try {
    const sodium = load('sodium-native') as SodiumModule;
    return createSodiumProvider(sodium);
  } catch {
    return undefined;
  }
}
