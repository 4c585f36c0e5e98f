import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { defineProvider, type CryptoProvider } from '../provider.js';

/** Default provider, in pure JavaScript on @noble/curves, @noble/hashes and @noble/ciphers. */
export const nobleProvider: CryptoProvider = defineProvider('noble', {
  randomBytes: (length) => randomBytes(length),
  // noble raises an Error for a low-order public key before the ladder runs, and defineProvider
  // maps it to InvalidKeyError.
  x25519: (secretKey, publicKey) => x25519.getSharedSecret(secretKey, publicKey),
  x25519PublicKey: (secretKey) => x25519.getPublicKey(secretKey),
  sha256: (data) => sha256(data),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  aeadSeal: (key, nonce, aad, plaintext) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
  aeadOpen: (key, nonce, aad, ciphertextWithTag) =>
    chacha20poly1305(key, nonce, aad).decrypt(ciphertextWithTag),
  aeadSealInto: (key, nonce, aad, plaintext, out) => {
    chacha20poly1305(key, nonce, aad).encrypt(plaintext, out);
  },
  aeadOpenInto: (key, nonce, aad, ciphertextWithTag, out) => {
    chacha20poly1305(key, nonce, aad).decrypt(ciphertextWithTag, out);
  },
});
