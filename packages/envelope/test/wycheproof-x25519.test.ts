import { describe, expect, it } from 'vitest';
import { InvalidKeyError } from '../src/index.js';
import { hex, loadVectors, providers, toHex } from './helpers.js';

interface XdhCase {
  tcId: number;
  comment: string;
  flags: string[];
  public: string;
  private: string;
  shared: string;
  result: 'valid' | 'acceptable' | 'invalid';
}

const file = loadVectors<{ numberOfTests: number; testGroups: { curve: string; tests: XdhCase[] }[] }>(
  'wycheproof-x25519.json',
);
const cases = file.testGroups.flatMap((group) => group.tests);
const zeroSecret = '00'.repeat(32);

describe('Wycheproof X25519 file', () => {
  it('holds 518 curve25519 cases', () => {
    expect(cases).toHaveLength(file.numberOfTests);
    expect(cases).toHaveLength(518);
    expect(file.testGroups.every((group) => group.curve === 'curve25519')).toBe(true);
  });
});

describe.each(providers)('Wycheproof X25519 with $name', (provider) => {
  it('computes every nonzero shared secret', () => {
    let ran = 0;
    for (const c of cases) {
      if (c.shared === zeroSecret) continue;
      expect(['valid', 'acceptable'], `tcId ${c.tcId}`).toContain(c.result);
      const shared = provider.x25519(hex(c.private), hex(c.public));
      expect(toHex(shared), `tcId ${c.tcId} ${c.comment}`).toBe(c.shared);
      ran++;
    }
    expect(ran).toBe(518 - 31);
  });

  it('rejects 31 all-zero shared secrets', () => {
    let rejected = 0;
    for (const c of cases) {
      if (c.shared !== zeroSecret) continue;
      expect(c.flags, `tcId ${c.tcId}`).toContain('ZeroSharedSecret');
      expect(() => provider.x25519(hex(c.private), hex(c.public)), `tcId ${c.tcId}`).toThrow(InvalidKeyError);
      rejected++;
    }
    expect(rejected).toBe(31);
  });

  it('rejects wrong key lengths', () => {
    const key = new Uint8Array(32).fill(9);
    expect(() => provider.x25519(new Uint8Array(31), key)).toThrow(RangeError);
    expect(() => provider.x25519(key, new Uint8Array(33))).toThrow(RangeError);
    expect(() => provider.x25519(key, 'key' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
