import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KeyFormatError, PUBLIC_KEY_PREFIX, checkPublicKey, decodePublicKey } from '../src/index.js';
import { buildKeyText } from './helpers.js';

interface XdhCase {
  tcId: number;
  public: string;
  shared: string;
  result: string;
  flags: string[];
}

const vectorFile = new URL('../../../test-vectors/wycheproof-x25519.json', import.meta.url);
const groups = (JSON.parse(readFileSync(vectorFile, 'utf8')) as { testGroups: { tests: XdhCase[] }[] })
  .testGroups;
const cases = groups.flatMap((group) => group.tests);
const FIELD_PRIME = 2n ** 255n - 19n;

function isCanonical(publicKey: Uint8Array): boolean {
  return BigInt(`0x${Buffer.from(publicKey).reverse().toString('hex')}`) < FIELD_PRIME;
}

function reasonOf(text: string): string {
  try {
    decodePublicKey(text);
    return 'accepted';
  } catch (error) {
    return error instanceof KeyFormatError ? error.reason : `other: ${String(error)}`;
  }
}

describe('Wycheproof X25519 public keys', () => {
  const zeroShared = cases.filter((vector) => /^(00)+$/.test(vector.shared));

  it('rejects all 31 zero-secret keys', () => {
    expect(zeroShared).toHaveLength(31);
    for (const vector of zeroShared) {
      const publicKey = Buffer.from(vector.public, 'hex');
      const text = buildKeyText(PUBLIC_KEY_PREFIX, publicKey);
      expect(reasonOf(text), `tcId ${vector.tcId}`).toBe('low-order');
      expect(() => checkPublicKey(publicKey), `tcId ${vector.tcId}`).toThrow(KeyFormatError);
    }
  });

  it('accepts other canonical keys', () => {
    const others = cases.filter((vector) => !zeroShared.includes(vector));
    const canonical = others.filter((vector) => isCanonical(Buffer.from(vector.public, 'hex')));
    expect(canonical.length).toBeGreaterThan(400);
    for (const vector of canonical) {
      const publicKey = Buffer.from(vector.public, 'hex');
      expect(reasonOf(buildKeyText(PUBLIC_KEY_PREFIX, publicKey)), `tcId ${vector.tcId}`).toBe('accepted');
    }
  });

  it('rejects other non-canonical keys', () => {
    const others = cases.filter((vector) => !zeroShared.includes(vector));
    const nonCanonical = others.filter((vector) => !isCanonical(Buffer.from(vector.public, 'hex')));
    expect(nonCanonical.length).toBeGreaterThan(0);
    for (const vector of nonCanonical) {
      const text = buildKeyText(PUBLIC_KEY_PREFIX, Buffer.from(vector.public, 'hex'));
      expect(reasonOf(text), `tcId ${vector.tcId}`).toBe('non-canonical-key');
    }
  });
});
