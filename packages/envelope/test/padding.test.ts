import { describe, expect, it } from 'vitest';
import {
  classifyPayload,
  DEFAULT_PADDING_BUCKETS,
  EnvelopeOpener,
  EnvelopeSealer,
  generateKeyPair,
  PaddingError,
  paddedLength,
  parseHeader,
  PayloadTooLargeError,
  type CryptoProvider,
  type EnvelopeSealerOptions,
} from '../src/index.js';
import { sealForTesting } from '../src/testing.js';
import { providers, utf8 } from './helpers.js';

function setup(provider: CryptoProvider, options: Partial<EnvelopeSealerOptions> = {}, maxEnvelopeBytes?: number) {
  const alice = generateKeyPair(provider);
  const bob = generateKeyPair(provider);
  const sealer = new EnvelopeSealer({ identity: alice, provider, ...options });
  const opener = new EnvelopeOpener({
    identities: [bob],
    resolveSender: () => [alice.publicKey],
    provider,
    ...(maxEnvelopeBytes === undefined ? {} : { maxEnvelopeBytes }),
  });
  return { alice, bob, sealer, opener };
}

describe('padding buckets', () => {
  it('lists powers of two', () => {
    expect(DEFAULT_PADDING_BUCKETS).toEqual([32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);
  });

  it('picks smallest bucket holding marker', () => {
    expect(paddedLength(0, DEFAULT_PADDING_BUCKETS)).toBe(32);
    expect(paddedLength(31, DEFAULT_PADDING_BUCKETS)).toBe(32);
    expect(paddedLength(32, DEFAULT_PADDING_BUCKETS)).toBe(64);
    expect(paddedLength(65535, DEFAULT_PADDING_BUCKETS)).toBe(65536);
    expect(paddedLength(65536, DEFAULT_PADDING_BUCKETS)).toBe(131072);
    expect(paddedLength(200000, DEFAULT_PADDING_BUCKETS)).toBe(262144);
    expect(paddedLength(10, [16, 48])).toBe(16);
    expect(paddedLength(47, [16, 48])).toBe(48);
    expect(paddedLength(48, [16, 48])).toBe(96);
  });

  it('validates bucket lists', () => {
    const alice = generateKeyPair();
    expect(() => new EnvelopeSealer({ identity: alice, padding: [] })).toThrow(TypeError);
    expect(() => new EnvelopeSealer({ identity: alice, padding: [32, 32] })).toThrow(/strictly increasing/);
    expect(() => new EnvelopeSealer({ identity: alice, padding: [0] })).toThrow(RangeError);
    expect(() => new EnvelopeSealer({ identity: alice, padding: 'pad' as 'none' })).toThrow(TypeError);
  });
});

describe.each(providers)('padding with $name', (provider) => {
  it('hides length within bucket', () => {
    const { bob, sealer, opener } = setup(provider, { padding: 'buckets' });
    const lengths = [0, 1, 5, 31].map((n) => sealer.seal('p/t', new Uint8Array(n).fill(7), bob.publicKey).length);
    expect(lengths).toEqual([60 + 32 + 16, 60 + 32 + 16, 60 + 32 + 16, 60 + 32 + 16]);
    const envelope = sealer.seal('p/t', utf8('twenty-one degrees'), bob.publicKey);
    expect(parseHeader(envelope).flags).toBe(0x01);
    const opened = opener.open('p/t', envelope);
    expect(new TextDecoder().decode(opened.plaintext)).toBe('twenty-one degrees');
    expect(opened.padded).toBe(true);
  });

  it('keeps trailing zero and marker bytes', () => {
    const { bob, sealer, opener } = setup(provider, { padding: [8, 16] });
    for (const message of [Uint8Array.of(0, 0), Uint8Array.of(0x80), Uint8Array.of(1, 0x80, 0), new Uint8Array(15).fill(0x80)]) {
      const opened = opener.open('p/t', sealer.seal('p/t', message, bob.publicKey));
      expect(opened.plaintext).toEqual(message);
    }
  });

  it('rejects invalid padding after authentication', () => {
    const { alice, bob, opener } = setup(provider);
    const seal = (plaintext: Uint8Array, seq: bigint) =>
      sealForTesting({ sender: alice, recipientPublicKey: bob.publicKey, ikmE: new Uint8Array(32).fill(3), seq, topic: 'p/t', plaintext, extraFlags: 0x01, provider }).envelope;
    expect(() => opener.open('p/t', seal(new Uint8Array(16), 0n))).toThrow(PaddingError);
    expect(() => opener.open('p/t', seal(new Uint8Array(0), 1n))).toThrow(/Invalid padding/);
    expect(() => opener.open('p/t', seal(Uint8Array.of(0x80, 1), 2n))).toThrow(PaddingError);
    expect(new TextDecoder().decode(opener.open('p/t', seal(Uint8Array.of(0x68, 0x69, 0x80, 0), 3n)).plaintext)).toBe('hi');
    // The authenticated seq was recorded even though its padding was invalid.
    expect(() => opener.open('p/t', seal(new Uint8Array(16), 0n))).toThrow(/already accepted/);
  });

  it('wipes the plaintext of a message with invalid padding', () => {
    const { alice, bob, opener } = setup(provider);
    const seal = (plaintext: Uint8Array, seq: bigint) =>
      sealForTesting({ sender: alice, recipientPublicKey: bob.publicKey, ikmE: new Uint8Array(32).fill(4), seq, topic: 'p/t', plaintext, extraFlags: 0x01, provider }).envelope;
    // The first message of a session is opened during its setup; the later ones share blocks.
    opener.open('p/t', seal(Uint8Array.of(0x80), 5n));
    const delivered = opener.open('p/t', seal(Uint8Array.of(0x6f, 0x6b, 0x80), 0n)).plaintext;
    // Non-zero bytes and no 0x80 marker: the padding is invalid once the tag has verified.
    expect(() => opener.open('p/t', seal(new Uint8Array(40).fill(0x5a), 1n))).toThrow(PaddingError);
    // The delivered plaintext is a 2-byte view of a 3-byte allocation (text and marker), which the
    // pool rounds up to 8 bytes. The rejected message was decrypted right after it.
    const after = new Uint8Array(delivered.buffer, delivered.byteOffset + 8, 128);
    expect(after.every((byte) => byte === 0)).toBe(true);
  });

  it('enforces maxEnvelopeBytes', () => {
    const { bob, sealer, opener } = setup(provider, { maxEnvelopeBytes: 100 }, 100);
    expect(sealer.seal('p/t', new Uint8Array(24), bob.publicKey)).toHaveLength(100);
    expect(() => sealer.seal('p/t', new Uint8Array(25), bob.publicKey)).toThrow(PayloadTooLargeError);
    const big = setup(provider).sealer;
    const envelope = big.seal('p/t', new Uint8Array(25), bob.publicKey);
    let caught: unknown;
    try {
      opener.open('p/t', envelope);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PayloadTooLargeError);
    expect((caught as PayloadTooLargeError).code).toBe('ERR_TOO_LARGE');
    expect((caught as PayloadTooLargeError).size).toBe(101);
    const padded = setup(provider, { padding: 'buckets', maxEnvelopeBytes: 200 });
    expect(() => padded.sealer.seal('p/t', new Uint8Array(64), padded.bob.publicKey)).toThrow(/204 bytes exceeds the maximum of 200 bytes/);
  });
});

describe('classifyPayload', () => {
  it('sorts payloads by first byte', () => {
    expect(classifyPayload(new Uint8Array(0))).toBe('delete');
    expect(classifyPayload(Uint8Array.of(0x01))).toBe('envelope');
    expect(classifyPayload(Uint8Array.of(0x02))).toBe('unsupported-version');
    expect(classifyPayload(Uint8Array.of(0x1f, 0))).toBe('unsupported-version');
    expect(classifyPayload(Uint8Array.of(0x00))).toBe('not-envelope');
    expect(classifyPayload(Uint8Array.of(0x20))).toBe('not-envelope');
    expect(classifyPayload(utf8('{"t":21}'))).toBe('not-envelope');
    expect(classifyPayload(Uint8Array.of(0xff))).toBe('not-envelope');
    expect(() => classifyPayload('x' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
