import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nobleProvider, type CryptoProvider } from '../src/index.js';
import { nodeProvider } from '../src/node.js';
import { sodiumProvider } from '../src/sodium.js';

/**
 * Every provider the suites run against. sodium-native is a devDependency, so importing
 * '../src/sodium.js' fails the whole run when its native binding does not load.
 */
export const providers: CryptoProvider[] = [nobleProvider, nodeProvider, sodiumProvider];

const vectorDir = fileURLToPath(new URL('../../../test-vectors/', import.meta.url));

/** Reads a JSON file from the repository's test-vectors directory. */
export function loadVectors<T>(file: string): T {
  return JSON.parse(readFileSync(vectorDir + file, 'utf8')) as T;
}

export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Wraps a provider and counts its X25519 and AEAD open calls (aeadOpen and aeadOpenInto together). */
export function countingProvider(inner: CryptoProvider): CryptoProvider & {
  counts: { x25519: number; x25519PublicKey: number; aeadOpen: number };
} {
  const counts = { x25519: 0, x25519PublicKey: 0, aeadOpen: 0 };
  return {
    ...inner,
    name: `${inner.name}+counting`,
    counts,
    randomBytes: (length) => inner.randomBytes(length),
    x25519: (secretKey, publicKey) => {
      counts.x25519++;
      return inner.x25519(secretKey, publicKey);
    },
    x25519PublicKey: (secretKey) => {
      counts.x25519PublicKey++;
      return inner.x25519PublicKey(secretKey);
    },
    sha256: (data) => inner.sha256(data),
    hmacSha256: (key, data) => inner.hmacSha256(key, data),
    aeadSeal: (key, nonce, aad, plaintext) => inner.aeadSeal(key, nonce, aad, plaintext),
    aeadOpen: (key, nonce, aad, sealed) => {
      counts.aeadOpen++;
      return inner.aeadOpen(key, nonce, aad, sealed);
    },
    aeadOpenInto: (key, nonce, aad, sealed, out) => {
      counts.aeadOpen++;
      if (inner.aeadOpenInto === undefined) out.set(inner.aeadOpen(key, nonce, aad, sealed));
      else inner.aeadOpenInto(key, nonce, aad, sealed, out);
    },
  };
}
