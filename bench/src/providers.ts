/**
 * Crypto providers under test and the raw ChaCha20-Poly1305 call of each provider's library,
 * so envelope costs can be set next to the bare AEAD.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createRequire } from 'node:module';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { nobleProvider, type CryptoProvider } from '@mqtt-e2ee/envelope';
import { nodeProvider } from '@mqtt-e2ee/envelope/node';

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

interface SodiumAead {
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

function sodiumRaw(sodium: SodiumAead): RawAead {
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

/** Loads sodium-native through CommonJS require, because it is a native addon. */
function loadSodium(): SodiumAead | undefined {
  try {
    return createRequire(import.meta.url)('sodium-native') as SodiumAead;
  } catch {
    return undefined;
  }
}

function isProvider(value: unknown): value is CryptoProvider {
  const candidate = value as Partial<CryptoProvider> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.name === 'string' &&
    typeof candidate.aeadSeal === 'function' &&
    typeof candidate.aeadOpen === 'function'
  );
}

/** Imports a module by a name that may not exist yet; returns undefined when it does not. */
async function tryImport(specifier: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export interface LoadedProviders {
  entries: ProviderEntry[];
  missing: MissingProvider[];
  /** The provider that fastestProvider() picks, or the fastest one measured here when that export is missing. */
  fastest: CryptoProvider;
  /** Source of the `fastest` choice, for the report. */
  fastestSource: string;
}

/** Loads noble, node and (when its entry point exists) sodium-native, and picks the fastest. */
export async function loadProviders(): Promise<LoadedProviders> {
  const entries: ProviderEntry[] = [
    { provider: nobleProvider, raw: nobleRaw },
    { provider: nodeProvider, raw: nodeRaw },
  ];
  const missing: MissingProvider[] = [];
  const sodiumModule = await tryImport('@mqtt-e2ee/envelope/sodium');
  const sodiumProvider = Object.values(sodiumModule ?? {}).find(isProvider);
  const sodium = loadSodium();
  if (sodiumProvider !== undefined) {
    entries.push({ provider: sodiumProvider, raw: sodium === undefined ? undefined : sodiumRaw(sodium) });
  } else {
    missing.push({ name: 'sodium', reason: "'@mqtt-e2ee/envelope/sodium' exports no provider in this build" });
  }
  const nodeModule = (await tryImport('@mqtt-e2ee/envelope/node')) ?? {};
  const pick = nodeModule['fastestProvider'];
  if (typeof pick === 'function') {
    const chosen: unknown = await (pick as () => unknown)();
    if (isProvider(chosen)) return { entries, missing, fastest: chosen, fastestSource: 'fastestProvider()' };
  }
  const fallback = sodiumProvider ?? nodeProvider;
  return {
    entries,
    missing,
    fastest: fallback,
    fastestSource: `'${fallback.name}' (fastestProvider() is not exported by '@mqtt-e2ee/envelope/node' in this build)`,
  };
}
