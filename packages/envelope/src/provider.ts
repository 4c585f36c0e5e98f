import { checkBytes, checkInteger, isAllZero } from './bytes.js';
import { DecryptionError, InvalidKeyError } from './errors.js';

/** ChaCha20-Poly1305 key length in bytes (RFC 8439 section 2.8). */
export const AEAD_KEY_LENGTH = 32;
/** ChaCha20-Poly1305 nonce length in bytes (RFC 8439 section 2.8). */
export const AEAD_NONCE_LENGTH = 12;
/** Poly1305 tag length in bytes. */
export const AEAD_TAG_LENGTH = 16;
/** X25519 secret key, public key and shared secret length in bytes (RFC 7748 section 5). */
export const X25519_KEY_LENGTH = 32;

/**
 * Primitive operations the envelope needs. Both built-in providers validate inputs the same way:
 * a non-Uint8Array argument raises a TypeError and a wrong key or nonce length a RangeError.
 */
export interface CryptoProvider {
  /** Short provider name for logs and test titles, such as 'noble' or 'node'. */
  readonly name: string;
  /** Returns `length` bytes from a cryptographically secure generator. */
  randomBytes(length: number): Uint8Array;
  /** Computes X25519(secretKey, publicKey). Raises InvalidKeyError when the result is all zero. */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** Computes the X25519 public key of a 32-byte secret key. */
  x25519PublicKey(secretKey: Uint8Array): Uint8Array;
  /** Computes SHA-256. */
  sha256(data: Uint8Array): Uint8Array;
  /** Computes HMAC-SHA-256. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Encrypts with ChaCha20-Poly1305 and returns ciphertext || 16-byte tag. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Decrypts ChaCha20-Poly1305 output. Raises DecryptionError when the tag does not verify. */
  aeadOpen(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertextWithTag: Uint8Array,
  ): Uint8Array;
  /**
   * Optional: aeadSeal that writes ciphertext || tag into `out`, which must be exactly
   * plaintext.length + 16 bytes and must not overlap the inputs. Providers made by defineProvider
   * always have it.
   */
  aeadSealInto?(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void;
  /**
   * Optional: aeadOpen that writes the plaintext into `out`, which must be exactly
   * ciphertextWithTag.length - 16 bytes and must not overlap the inputs. On a failed tag it raises
   * DecryptionError, and `out` contains no plaintext. Providers made by defineProvider always have it.
   */
  aeadOpenInto?(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertextWithTag: Uint8Array,
    out: Uint8Array,
  ): void;
}

/**
 * Raw primitives of a backend. They receive validated inputs. They may throw any error for a
 * low-order X25519 point or a failed tag, and defineProvider maps it to the typed error.
 */
export type ProviderPrimitives = Omit<CryptoProvider, 'name' | 'aeadSealInto' | 'aeadOpenInto'> & {
  /** Seals into `out` without allocating. Without it, aeadSeal runs and its output is copied. */
  aeadSealInto?: CryptoProvider['aeadSealInto'];
  /** Opens into `out` without allocating. Without it, aeadOpen runs and its output is copied. */
  aeadOpenInto?: CryptoProvider['aeadOpenInto'];
};

/** Largest randomBytes request, matching the Web Crypto getRandomValues limit. */
const MAX_RANDOM_BYTES = 65536;

/**
 * Builds a CryptoProvider from raw primitives, adding the input validation and error mapping that
 * every provider must share, so that all backends accept and reject exactly the same inputs.
 */
export function defineProvider(name: string, raw: ProviderPrimitives): Required<CryptoProvider> {
  const rawSealInto = raw.aeadSealInto;
  const rawOpenInto = raw.aeadOpenInto;
  const provider = {
    name,
    randomBytes(length: number): Uint8Array {
      checkInteger(length, 'randomBytes length', 0, MAX_RANDOM_BYTES);
      return raw.randomBytes(length);
    },
    x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      checkBytes(secretKey, 'X25519 secret key', X25519_KEY_LENGTH);
      checkBytes(publicKey, 'X25519 public key', X25519_KEY_LENGTH);
      let shared: Uint8Array;
      try {
        shared = raw.x25519(secretKey, publicKey);
      } catch (error) {
        throw lowOrderError(error);
      }
      // An all-zero output means that the public key has low order, and RFC 7748 section 6.1
      // and RFC 9180 section 7.1.4 require aborting the exchange.
      if (isAllZero(shared)) throw lowOrderError(undefined);
      return shared;
    },
    x25519PublicKey(secretKey: Uint8Array): Uint8Array {
      checkBytes(secretKey, 'X25519 secret key', X25519_KEY_LENGTH);
      return raw.x25519PublicKey(secretKey);
    },
    sha256(data: Uint8Array): Uint8Array {
      return raw.sha256(checkBytes(data, 'SHA-256 input'));
    },
    hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
      checkBytes(key, 'HMAC key');
      checkBytes(data, 'HMAC input');
      return raw.hmacSha256(key, data);
    },
    aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
      checkAeadInputs(key, nonce, aad);
      checkBytes(plaintext, 'AEAD plaintext');
      return raw.aeadSeal(key, nonce, aad, plaintext);
    },
    aeadOpen(
      key: Uint8Array,
      nonce: Uint8Array,
      aad: Uint8Array,
      ciphertextWithTag: Uint8Array,
    ): Uint8Array {
      checkAeadInputs(key, nonce, aad);
      checkBytes(ciphertextWithTag, 'AEAD ciphertext');
      if (ciphertextWithTag.length < AEAD_TAG_LENGTH) throw new DecryptionError();
      try {
        return raw.aeadOpen(key, nonce, aad, ciphertextWithTag);
      } catch {
        // Every backend failure maps to one fixed error without a cause, so the error does not
        // reveal why the tag failed to verify.
        throw new DecryptionError();
      }
    },
  };
  // The Into members are not enumerable, so a spread with its own aeadSeal or aeadOpen,
  // `{ ...provider, aeadSeal }`, does not inherit fast paths that bypass the replaced function.
  // defineProvider then builds its Into members over the replaced functions.
  Object.defineProperties(provider, {
    aeadSealInto: { enumerable: false, value: aeadSealInto },
    aeadOpenInto: { enumerable: false, value: aeadOpenInto },
  });
  return Object.freeze(provider) as Required<CryptoProvider>;

  function aeadSealInto(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
  ): void {
    checkAeadInputs(key, nonce, aad);
    checkBytes(plaintext, 'AEAD plaintext');
    checkBytes(out, 'AEAD output', plaintext.length + AEAD_TAG_LENGTH);
    if (rawSealInto === undefined) out.set(raw.aeadSeal(key, nonce, aad, plaintext));
    else rawSealInto(key, nonce, aad, plaintext, out);
  }

  function aeadOpenInto(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertextWithTag: Uint8Array,
    out: Uint8Array,
  ): void {
    checkAeadInputs(key, nonce, aad);
    checkBytes(ciphertextWithTag, 'AEAD ciphertext');
    if (ciphertextWithTag.length < AEAD_TAG_LENGTH) throw new DecryptionError();
    checkBytes(out, 'AEAD output', ciphertextWithTag.length - AEAD_TAG_LENGTH);
    try {
      if (rawOpenInto === undefined) out.set(raw.aeadOpen(key, nonce, aad, ciphertextWithTag));
      else rawOpenInto(key, nonce, aad, ciphertextWithTag, out);
    } catch {
      // A backend may have written part of the plaintext before the tag check failed.
      out.fill(0);
      throw new DecryptionError();
    }
  }
}

/**
 * True when `provider` has `member` as its own function. An inherited one is ignored: a provider
 * made with Object.create(base, { aeadSeal }) inherits base's Into call, which would bypass the
 * replaced aeadSeal, so such a provider goes through aeadSeal and a copy instead.
 */
function ownInto<K extends 'aeadSealInto' | 'aeadOpenInto'>(
  provider: CryptoProvider,
  member: K,
): provider is CryptoProvider & Required<Pick<CryptoProvider, K>> {
  return Object.prototype.hasOwnProperty.call(provider, member) && typeof provider[member] === 'function';
}

/** Seals into `out` through the provider's aeadSealInto, or through aeadSeal and a copy for a provider without it. */
export function sealInto(
  provider: CryptoProvider,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
): void {
  if (ownInto(provider, 'aeadSealInto')) provider.aeadSealInto(key, nonce, aad, plaintext, out);
  else out.set(provider.aeadSeal(key, nonce, aad, plaintext));
}

/**
 * Opens into bytes from `allocate` through the provider's aeadOpenInto, or through aeadOpen for a
 * provider without it.
 */
export function openWith(
  provider: CryptoProvider,
  allocate: (length: number) => Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertextWithTag: Uint8Array,
): Uint8Array {
  if (!ownInto(provider, 'aeadOpenInto') || !(ciphertextWithTag instanceof Uint8Array) || ciphertextWithTag.length < AEAD_TAG_LENGTH) {
    return provider.aeadOpen(key, nonce, aad, ciphertextWithTag);
  }
  const out = allocate(ciphertextWithTag.length - AEAD_TAG_LENGTH);
  provider.aeadOpenInto(key, nonce, aad, ciphertextWithTag, out);
  return out;
}

function checkAeadInputs(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array): void {
  checkBytes(key, 'ChaCha20-Poly1305 key', AEAD_KEY_LENGTH);
  checkBytes(nonce, 'ChaCha20-Poly1305 nonce', AEAD_NONCE_LENGTH);
  checkBytes(aad, 'AEAD associated data');
}

function lowOrderError(cause: unknown): InvalidKeyError {
  return new InvalidKeyError(
    'X25519 produced an all-zero shared secret because the public key has low order: reject this public key.',
    cause === undefined ? undefined : { cause },
  );
}
