import { describe, expect, it } from 'vitest';
import {
  computeNonce,
  DecryptionError,
  deriveKeyPair,
  generateKeyPair,
  InvalidKeyError,
  keyId,
  keyIdHex,
  MAX_SEQ,
  setupAuthR,
  setupAuthS,
  setupBaseR,
  setupBaseS,
} from '../src/index.js';
import { providers, toHex, utf8 } from './helpers.js';

describe.each(providers)('HPKE API with $name', (provider) => {
  const info = utf8('test info');

  it('enforces sender and recipient roles', () => {
    const bob = generateKeyPair(provider);
    const { enc, context } = setupBaseS(bob.publicKey, info, { provider });
    const recipient = setupBaseR(enc, bob.secretKey, info, { provider });
    expect(() => context.open(new Uint8Array(0), new Uint8Array(16))).toThrow(TypeError);
    expect(() => recipient.seal(new Uint8Array(0), new Uint8Array(1))).toThrow(TypeError);
  });

  it('rejects seq outside range', () => {
    const bob = generateKeyPair(provider);
    const { context } = setupBaseS(bob.publicKey, info, { provider });
    expect(() => context.seal(new Uint8Array(0), new Uint8Array(1), -1)).toThrow(RangeError);
    expect(() => context.seal(new Uint8Array(0), new Uint8Array(1), MAX_SEQ + 1n)).toThrow(RangeError);
    expect(() => context.seal(new Uint8Array(0), new Uint8Array(1), 2 ** 60)).toThrow(TypeError);
    expect(context.seal(new Uint8Array(0), new Uint8Array(1), MAX_SEQ)).toHaveLength(17);
  });

  it('fails auth with wrong sender key', () => {
    const alice = generateKeyPair(provider);
    const bob = generateKeyPair(provider);
    const mallory = generateKeyPair(provider);
    const { enc, context } = setupAuthS(bob.publicKey, info, alice.secretKey, { provider });
    const ct = context.seal(utf8('aad'), utf8('pt'));
    const wrong = setupAuthR(enc, bob.secretKey, info, mallory.publicKey, { provider });
    expect(() => wrong.open(utf8('aad'), ct)).toThrow(DecryptionError);
    expect(wrong.seq).toBe(0n);
    const right = setupAuthR(enc, bob.secretKey, info, alice.publicKey, { provider });
    expect(new TextDecoder().decode(right.open(utf8('aad'), ct))).toBe('pt');
    expect(right.seq).toBe(1n);
  });

  it('rejects low-order enc', () => {
    const bob = generateKeyPair(provider);
    expect(() => setupBaseR(new Uint8Array(32), bob.secretKey, info, { provider })).toThrow(InvalidKeyError);
  });

  it('checks deriveKeyPair ikm length', () => {
    expect(() => deriveKeyPair(new Uint8Array(31), provider)).toThrow(RangeError);
    expect(deriveKeyPair(new Uint8Array(64), provider).publicKey).toHaveLength(32);
  });
});

describe('computeNonce', () => {
  it('XORs seq into low bytes', () => {
    const base = Uint8Array.from({ length: 12 }, (_, i) => i);
    expect(toHex(computeNonce(base, 0n))).toBe(toHex(base));
    expect(toHex(computeNonce(base, 0x0102n))).toBe('000102030405060708090b09');
  });
});

describe('keyId', () => {
  it('matches known answer', () => {
    // Alice's public key from RFC 7748 section 6.1. The expected id was computed with Python's
    // hashlib as SHA-256("mqtt-e2ee key id v1" || pk)[0..8].
    const publicKey = Uint8Array.from(
      Buffer.from('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a', 'hex'),
    );
    expect(keyIdHex(publicKey)).toBe('80a6fe6812a72fda');
    expect(toHex(keyId(publicKey))).toBe('80a6fe6812a72fda');
    expect(() => keyId(publicKey.subarray(1))).toThrow(RangeError);
  });
});
