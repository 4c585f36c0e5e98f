/**
 * Crypto providers under test and the raw ChaCha20-Poly1305 call of each provider's library,
 * so envelope costs can be set next to the bare AEAD.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createRequire } from 'node:module';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { nobleProvider, type CryptoProvider } from '@mqtt-e2ee/envelope';
import { fastestProvider, loadSodiumProvider, nodeProvider } from '@mqtt-e2ee/envelope/node';
import type { SodiumModule } from '@mqtt-e2ee/envelope/sodium';

/** A library's ChaCha20-Poly1305 called directly, without the provider's checks. */
export interface RawAead {
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array;
}

export interface ProviderEntry {
  provider: CryptoProvider;
  /** The library call the provider wraps, or undefined when the bench cannot call it. */
  raw: RawAead | undefined;
}

/** A provider that could not be loaded, with the reason. */
export interface MissingProvider {
  name: string;
  reason: string;
}

const TAG = 16;

const nobleRaw: RawAead = {
  seal: (key, nonce, aad, plaintext) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
  open: (key, nonce, aad, sealed) => chacha20poly1305(key, nonce, aad).decrypt(sealed),
};

const nodeRaw: RawAead = {
  seal(key, nonce, aad, plaintext) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const body = cipher.update(plaintext);
    cipher.final();
    return Buffer.concat([body, cipher.getAuthTag()]);
  },
  open(key, nonce, aad, sealed) {
    const split = sealed.length - TAG;
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    decipher.setAuthTag(sealed.subarray(split));
    decipher.setAAD(aad, { plaintextLength: split });
    const body = decipher.update(sealed.subarray(0, split));
    decipher.final();
    return body;
  },
};

function sodiumRaw(sodium: SodiumModule): RawAead {
  return {
    seal(key, nonce, aad, plaintext) {
      const out = new Uint8Array(plaintext.length + TAG);
      sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, aad, null, nonce, key);
      return out;
    },
    open(key, nonce, aad, sealed) {
      const out = new Uint8Array(sealed.length - TAG);
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, sealed, aad, nonce, key);
      return out;
    },
  };
}

export interface LoadedProviders {
  entries: ProviderEntry[];
  missing: MissingProvider[];
  /** The provider that fastestProvider() picks. */
  fastest: CryptoProvider;
  /** Source of the `fastest` choice, for the report. */
  fastestSource: string;
}

/**
 * Loads sodium-native once through the envelope package's loader, keeping the raw module for the
 * library AEAD column. Both are undefined when the native addon does not load.
 */
function loadSodium(): { provider: CryptoProvider | undefined; module: SodiumModule | undefined } {
  const require = createRequire(import.meta.url);
  let module: SodiumModule | undefined;
  const provider = loadSodiumProvider((specifier) => (module = require(specifier) as SodiumModule));
  return { provider, module: provider === undefined ? undefined : module };
}

/** Loads noble, node and (when sodium-native loads) sodium, and takes the pick of fastestProvider(). */
export async function loadProviders(): Promise<LoadedProviders> {
  const entries: ProviderEntry[] = [
    { provider: nobleProvider, raw: nobleRaw },
    { provider: nodeProvider, raw: nodeRaw },
  ];
  const missing: MissingProvider[] = [];
  const sodium = loadSodium();
  if (sodium.provider !== undefined) {
    entries.push({ provider: sodium.provider, raw: sodium.module === undefined ? undefined : sodiumRaw(sodium.module) });
  } else {
    missing.push({ name: 'sodium', reason: 'sodium-native did not load: install it with pnpm add sodium-native' });
  }
  return Promise.resolve({ entries, missing, fastest: fastestProvider(), fastestSource: 'fastestProvider()' });
}
