import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { hkdfExpand, hkdfExtract } from '../src/kdf.js';
import { generateKeyPair, keyPairFromSecretKey, nobleProvider } from '../src/index.js';
import { fastestProvider, loadSodiumProvider, nodeProvider } from '../src/node.js';
import { createSodiumProvider, sodiumProvider } from '../src/sodium.js';
import { providers, toHex } from './helpers.js';

describe.each(providers)('provider $name', (provider) => {
  it('HKDF matches @noble/hashes hkdf', () => {
    for (const [saltLength, ikmLength, infoLength, length] of [
      [0, 32, 0, 32],
      [32, 64, 10, 12],
      [13, 1, 200, 255 * 32],
      [80, 22, 7, 0],
    ] as const) {
      const salt = provider.randomBytes(saltLength);
      const ikm = provider.randomBytes(ikmLength);
      const info = provider.randomBytes(infoLength);
      const prk = hkdfExtract(provider, salt, ikm);
      const ours = hkdfExpand(provider, prk, info, length);
      expect(toHex(ours)).toBe(toHex(hkdf(sha256, ikm, salt, info, length)));
    }
    expect(() => hkdfExpand(provider, new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1)).toThrow(RangeError);
  });

  it('derives public keys like other provider', () => {
    for (let i = 0; i < 8; i++) {
      const pair = generateKeyPair(provider);
      expect(pair.secretKey).toHaveLength(32);
      expect(toHex(nobleProvider.x25519PublicKey(pair.secretKey))).toBe(toHex(pair.publicKey));
      expect(toHex(nodeProvider.x25519PublicKey(pair.secretKey))).toBe(toHex(pair.publicKey));
      expect(keyPairFromSecretKey(pair.secretKey, provider).publicKey).toEqual(pair.publicKey);
    }
  });

  it('hashes like other provider', () => {
    for (const length of [0, 1, 55, 56, 64, 1000]) {
      const data = provider.randomBytes(length);
      const key = provider.randomBytes(length % 100);
      expect(toHex(provider.sha256(data))).toBe(toHex(nobleProvider.sha256(data)));
      expect(toHex(provider.sha256(data))).toBe(toHex(nodeProvider.sha256(data)));
      expect(toHex(provider.hmacSha256(key, data))).toBe(toHex(nobleProvider.hmacSha256(key, data)));
      expect(toHex(provider.hmacSha256(key, data))).toBe(toHex(nodeProvider.hmacSha256(key, data)));
    }
  });

  it('returns plain unshared byte arrays', () => {
    const random = provider.randomBytes(16);
    expect(random).toHaveLength(16);
    expect(random.byteOffset).toBe(0);
    expect(random.buffer.byteLength).toBe(16);
    const digest = provider.sha256(new Uint8Array(3));
    expect(digest.buffer.byteLength).toBe(32);
  });

  it('validates primitive inputs', () => {
    expect(() => provider.randomBytes(-1)).toThrow(RangeError);
    expect(() => provider.randomBytes(1.5)).toThrow(TypeError);
    expect(() => provider.sha256('text' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => provider.hmacSha256(new Uint8Array(1), null as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => provider.x25519PublicKey(new Uint8Array(31))).toThrow(/must be 32 bytes long, got 31/);
  });

  it('seals a subarray like a copy', () => {
    const key = provider.randomBytes(32);
    const nonce = provider.randomBytes(12);
    const backing = provider.randomBytes(100);
    const view = backing.subarray(9, 70);
    const aadView = backing.subarray(3, 8);
    const sealed = provider.aeadSeal(key, nonce, aadView, view);
    expect(toHex(sealed)).toBe(toHex(nobleProvider.aeadSeal(key, nonce, aadView.slice(), view.slice())));
    expect(toHex(provider.aeadOpen(key, nonce, aadView, sealed))).toBe(toHex(view));
  });
});

describe('provider selection', () => {
  it('picks sodium when it loads', () => {
    expect(fastestProvider().name).toBe('sodium');
    expect(fastestProvider()).toBe(fastestProvider());
    expect(sodiumProvider.name).toBe('sodium');
  });

  it('returns undefined without sodium-native', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'sodium-native'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(loadSodiumProvider(missing)).toBeUndefined();
    expect(loadSodiumProvider((specifier) => (specifier === 'sodium-native' ? {} : undefined))?.name).toBe('sodium');
  });

  it('maps sodium failures to typed errors', () => {
    const failing = createSodiumProvider({
      crypto_scalarmult: () => {
        throw new Error('status: -1');
      },
      crypto_aead_chacha20poly1305_ietf_decrypt: () => {
        throw new Error('could not verify data');
      },
    } as unknown as Parameters<typeof createSodiumProvider>[0]);
    expect(() => failing.x25519(new Uint8Array(32), new Uint8Array(32))).toThrow(/low order/);
    expect(() => failing.aeadOpen(new Uint8Array(32), new Uint8Array(12), new Uint8Array(0), new Uint8Array(16))).toThrow(
      /Decryption failed/,
    );
  });
});

describe('main entry', () => {
  it('imports no node: modules', () => {
    // Follow relative imports from src/index.ts and collect every module specifier.
    const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
    const seen = new Set<string>();
    const specifiers = new Set<string>();
    const queue = ['index.ts'];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const source = readFileSync(srcDir + file, 'utf8');
      for (const match of source.matchAll(/from '([^']+)'/g)) {
        const specifier = match[1]!;
        specifiers.add(specifier);
        if (specifier.startsWith('.')) {
          const resolved = new URL(specifier.replace(/\.js$/, '.ts'), new URL(file, 'file:///')).pathname.slice(1);
          queue.push(resolved);
        }
      }
    }
    expect(seen.has('providers/node.ts')).toBe(false);
    expect(seen.has('providers/sodium.ts')).toBe(false);
    expect(seen.has('replay-file.ts')).toBe(false);
    expect(seen.size).toBeGreaterThan(10);
    expect([...specifiers].filter((s) => s.startsWith('node:'))).toEqual([]);
    const nodeImporters = [...seen].filter((file) => readFileSync(srcDir + file, 'utf8').includes("'node:"));
    expect(nodeImporters).toEqual([]);
    expect(readdirSync(srcDir + 'providers')).toContain('node.ts');
  });
});
