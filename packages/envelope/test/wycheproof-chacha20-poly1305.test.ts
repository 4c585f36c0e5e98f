import { describe, expect, it } from 'vitest';
import { DecryptionError, defineProvider, EnvelopeOpener, EnvelopeSealer, generateKeyPair } from '../src/index.js';
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

  it('seals and opens valid cases into caller buffers at an offset', () => {
    let ran = 0;
    for (const c of standard.flatMap((g) => g.tests)) {
      if (c.result !== 'valid') continue;
      const msg = hex(c.msg);
      // The output is a view 3 bytes into a larger array, as an envelope body is.
      const sealedArea = new Uint8Array(msg.length + 16 + 5).fill(0xee);
      const sealed = sealedArea.subarray(3, 3 + msg.length + 16);
      provider.aeadSealInto?.(hex(c.key), hex(c.iv), hex(c.aad), msg, sealed);
      expect(toHex(sealed), `tcId ${c.tcId}`).toBe(c.ct + c.tag);
      expect([...sealedArea.subarray(0, 3), ...sealedArea.subarray(3 + msg.length + 16)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
      const opened = new Uint8Array(msg.length);
      provider.aeadOpenInto?.(hex(c.key), hex(c.iv), hex(c.aad), hex(c.ct + c.tag), opened);
      expect(toHex(opened), `tcId ${c.tcId}`).toBe(c.msg);
      ran++;
    }
    expect(ran).toBe(256);
  });

  it('rejects invalid tags in aeadOpenInto and leaves no plaintext in the output', () => {
    let ran = 0;
    for (const c of standard.flatMap((g) => g.tests)) {
      if (c.result !== 'invalid') continue;
      const sealed = hex(c.ct + c.tag);
      const out = new Uint8Array(Math.max(sealed.length - 16, 0)).fill(0xaa);
      const open = () => provider.aeadOpenInto?.(hex(c.key), hex(c.iv), hex(c.aad), sealed, out);
      expect(open, `tcId ${c.tcId} ${c.comment}`).toThrow(DecryptionError);
      if (sealed.length >= 16) expect(out.every((byte) => byte === 0), `tcId ${c.tcId}`).toBe(true);
      ran++;
    }
    expect(ran).toBe(60);
  });

  it('checks the length of an output buffer', () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    const seal = () => provider.aeadSealInto?.(key, nonce, new Uint8Array(0), new Uint8Array(4), new Uint8Array(19));
    expect(seal).toThrow(/AEAD output must be 20 bytes long, got 19 bytes/);
    const sealed = provider.aeadSeal(key, nonce, new Uint8Array(0), new Uint8Array(4));
    const open = () => provider.aeadOpenInto?.(key, nonce, new Uint8Array(0), sealed, new Uint8Array(5));
    expect(open).toThrow(/AEAD output must be 4 bytes long, got 5 bytes/);
  });

  it('gives a provider without the Into primitives working copies of them', () => {
    const { name: _name, aeadSealInto: _seal, aeadOpenInto: _open, ...primitives } = provider;
    const plain = defineProvider('without-into', primitives);
    const c = standard.flatMap((g) => g.tests).find((t) => t.result === 'valid' && t.msg.length > 0);
    if (c === undefined) throw new Error('no valid case with a message');
    const sealed = new Uint8Array(c.msg.length / 2 + 16);
    plain.aeadSealInto(hex(c.key), hex(c.iv), hex(c.aad), hex(c.msg), sealed);
    expect(toHex(sealed)).toBe(c.ct + c.tag);
    const opened = new Uint8Array(c.msg.length / 2);
    plain.aeadOpenInto(hex(c.key), hex(c.iv), hex(c.aad), sealed, opened);
    expect(toHex(opened)).toBe(c.msg);
    sealed[0] = (sealed[0] as number) ^ 1;
    expect(() => plain.aeadOpenInto(hex(c.key), hex(c.iv), hex(c.aad), sealed, opened)).toThrow(DecryptionError);
    expect(opened.every((byte) => byte === 0)).toBe(true);
  });

  it('routes the Into calls of a spread provider through its replaced functions', () => {
    let seals = 0;
    let opens = 0;
    const wrapped = defineProvider('wrapped', {
      ...provider,
      aeadSeal: (key, nonce, aad, plaintext) => {
        seals++;
        return provider.aeadSeal(key, nonce, aad, plaintext);
      },
      aeadOpen: (key, nonce, aad, sealed) => {
        opens++;
        return provider.aeadOpen(key, nonce, aad, sealed);
      },
    });
    const key = new Uint8Array(32).fill(1);
    const nonce = new Uint8Array(12);
    const sealed = new Uint8Array(20);
    wrapped.aeadSealInto(key, nonce, new Uint8Array(0), Uint8Array.of(1, 2, 3, 4), sealed);
    wrapped.aeadOpenInto(key, nonce, new Uint8Array(0), sealed, new Uint8Array(4));
    expect([seals, opens]).toEqual([1, 1]);
  });

  it('calls the overrides of a provider derived with Object.create', () => {
    let seals = 0;
    let opens = 0;
    const derived = Object.create(provider, {
      aeadSeal: {
        value: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) => {
          seals++;
          return provider.aeadSeal(key, nonce, aad, plaintext);
        },
      },
      aeadOpen: {
        value: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) => {
          opens++;
          return provider.aeadOpen(key, nonce, aad, sealed);
        },
      },
    }) as typeof provider;
    const alice = generateKeyPair(provider);
    const bob = generateKeyPair(provider);
    const sealer = new EnvelopeSealer({ identity: alice, provider: derived });
    const opener = new EnvelopeOpener({ identities: [bob], resolveSender: () => [alice.publicKey], provider: derived });
    for (let i = 0; i < 5; i++) opener.open('t', sealer.seal('t', Uint8Array.of(i), bob.publicKey));
    expect([seals, opens]).toEqual([5, 5]);
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
