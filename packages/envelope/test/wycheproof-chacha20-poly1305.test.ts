import { describe, expect, it } from 'vitest';
import { DecryptionError } from '../src/index.js';
import { hex, loadVectors, providers, toHex } from './helpers.js';

interface AeadCase {
  tcId: number;
  comment: string;
  flags: string[];
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid';
}

interface AeadGroup {
  ivSize: number;
  keySize: number;
  tagSize: number;
  tests: AeadCase[];
}

const file = loadVectors<{ numberOfTests: number; testGroups: AeadGroup[] }>('wycheproof-chacha20-poly1305.json');
const standard = file.testGroups.filter((g) => g.ivSize === 96 && g.keySize === 256);
const oddSizes = file.testGroups.filter((g) => g.ivSize !== 96 || g.keySize !== 256);

describe('Wycheproof ChaCha20-Poly1305 file', () => {
  it('holds 325 cases with tag 128', () => {
    const total = file.testGroups.reduce((sum, g) => sum + g.tests.length, 0);
    expect(total).toBe(file.numberOfTests);
    expect(total).toBe(325);
    expect(file.testGroups.every((g) => g.tagSize === 128)).toBe(true);
  });
});

describe.each(providers)('Wycheproof ChaCha20-Poly1305 with $name', (provider) => {
  it('seals and opens valid cases', () => {
    let ran = 0;
    for (const c of standard.flatMap((g) => g.tests)) {
      if (c.result !== 'valid') continue;
      const sealed = provider.aeadSeal(hex(c.key), hex(c.iv), hex(c.aad), hex(c.msg));
      expect(toHex(sealed), `tcId ${c.tcId}`).toBe(c.ct + c.tag);
      const opened = provider.aeadOpen(hex(c.key), hex(c.iv), hex(c.aad), hex(c.ct + c.tag));
      expect(toHex(opened), `tcId ${c.tcId}`).toBe(c.msg);
      ran++;
    }
    expect(ran).toBe(256);
  });

  it('rejects invalid tags with DecryptionError', () => {
    let ran = 0;
    for (const c of standard.flatMap((g) => g.tests)) {
      if (c.result !== 'invalid') continue;
      const open = () => provider.aeadOpen(hex(c.key), hex(c.iv), hex(c.aad), hex(c.ct + c.tag));
      expect(open, `tcId ${c.tcId} ${c.comment}`).toThrow(DecryptionError);
      ran++;
    }
    expect(ran).toBe(60);
  });

  it('rejects odd nonce sizes with RangeError', () => {
    let ran = 0;
    for (const group of oddSizes) {
      for (const c of group.tests) {
        expect(c.result).toBe('invalid');
        expect(c.flags).toContain('InvalidNonceSize');
        const seal = () => provider.aeadSeal(hex(c.key), hex(c.iv), hex(c.aad), hex(c.msg));
        const open = () => provider.aeadOpen(hex(c.key), hex(c.iv), hex(c.aad), hex(c.ct + c.tag));
        expect(seal, `tcId ${c.tcId}`).toThrow(RangeError);
        expect(open, `tcId ${c.tcId}`).toThrow(RangeError);
        ran++;
      }
    }
    expect(ran).toBe(9);
  });

  it('rejects wrong key sizes with RangeError', () => {
    const nonce = new Uint8Array(12);
    for (const length of [0, 16, 31, 33, 64]) {
      const key = new Uint8Array(length);
      expect(() => provider.aeadSeal(key, nonce, new Uint8Array(0), new Uint8Array(1))).toThrow(RangeError);
      expect(() => provider.aeadOpen(key, nonce, new Uint8Array(0), new Uint8Array(17))).toThrow(RangeError);
    }
  });

  it('rejects input shorter than tag', () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    expect(() => provider.aeadOpen(key, nonce, new Uint8Array(0), new Uint8Array(15))).toThrow(DecryptionError);
  });
});
