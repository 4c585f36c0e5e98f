import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DecryptionError,
  E2eeError,
  EnvelopeOpener,
  EnvelopeSealer,
  generateKeyPair,
  InvalidKeyError,
  keyId,
  keyIdHex,
  NotForRecipientError,
  parseHeader,
  setupAuthR,
  UnknownSenderError,
  type CryptoProvider,
  type KeyPair,
} from '../src/index.js';
import { providers, toHex, utf8 } from './helpers.js';

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

function pair(provider: CryptoProvider): { alice: KeyPair; bob: KeyPair; sealer: EnvelopeSealer; opener: EnvelopeOpener } {
  const alice = generateKeyPair(provider);
  const bob = generateKeyPair(provider);
  const sealer = new EnvelopeSealer({ identity: alice, provider });
  const opener = new EnvelopeOpener({ identities: [bob], resolveSender: () => [alice.publicKey], provider });
  return { alice, bob, sealer, opener };
}

describe.each(providers)('envelope with $name', (provider) => {
  it('round trips a message', () => {
    const { alice, bob, sealer, opener } = pair(provider);
    const envelope = sealer.seal('sensors/1', utf8('hello'), bob.publicKey);
    expect(envelope).toHaveLength(60 + 5 + 16);
    const opened = opener.open('sensors/1', envelope);
    expect(new TextDecoder().decode(opened.plaintext)).toBe('hello');
    expect(opened.senderPublicKey).toEqual(alice.publicKey);
    expect(opened.senderKeyId).toBe(keyIdHex(alice.publicKey));
    expect(opened.recipientKeyId).toBe(keyIdHex(bob.publicKey));
    expect(opened.seq).toBe(0n);
    expect(opened.sessionId).toBe(toHex(sha256(envelope.subarray(20, 52)).subarray(0, 8)));
  });

  it('writes the v1 header layout', () => {
    const { alice, bob, sealer } = pair(provider);
    sealer.seal('t', utf8('first'), bob.publicKey);
    const envelope = sealer.seal('t', utf8('second'), bob.publicKey);
    expect(Array.from(envelope.subarray(0, 4))).toEqual([0x01, 0x01, 0x01, 0x00]);
    const label = utf8('mqtt-e2ee key id v1');
    expect(toHex(envelope.subarray(4, 12))).toBe(toHex(sha256(label, alice.publicKey).subarray(0, 8)));
    expect(toHex(envelope.subarray(12, 20))).toBe(toHex(sha256(label, bob.publicKey).subarray(0, 8)));
    expect(toHex(envelope.subarray(52, 60))).toBe('0000000000000001');
    const header = parseHeader(envelope);
    expect(header.seq).toBe(1n);
    expect(header.senderKeyId).toEqual(keyId(alice.publicKey));
    expect(header.recipientKeyId).toEqual(keyId(bob.publicKey));
    expect(header.enc).toEqual(envelope.subarray(20, 52));
  });

  it('binds header and topic into AAD', () => {
    const { alice, bob, sealer } = pair(provider);
    const topic = 'häuser/1';
    const envelope = sealer.seal(topic, utf8('payload'), bob.publicKey);
    const header = parseHeader(envelope);
    const topicBytes = utf8(topic);
    const aad = new Uint8Array(60 + 2 + topicBytes.length);
    aad.set(envelope.subarray(0, 60));
    aad[60] = topicBytes.length >> 8;
    aad[61] = topicBytes.length & 0xff;
    aad.set(topicBytes, 62);
    const info = utf8('mqtt-e2ee/v1 direct');
    const context = setupAuthR(header.enc, bob.secretKey, info, alice.publicKey, { provider });
    const plaintext = context.open(aad, envelope.subarray(60), header.seq);
    expect(new TextDecoder().decode(plaintext)).toBe('payload');
  });

  it('rejects another topic', () => {
    const { bob, sealer, opener } = pair(provider);
    const envelope = sealer.seal('a/b', utf8('x'), bob.publicKey);
    expect(() => opener.open('a/c', envelope)).toThrow(DecryptionError);
    expect(() => opener.open('a/b/', envelope)).toThrow(DecryptionError);
    expect(opener.open('a/b', envelope).seq).toBe(0n);
  });

  it('rejects every single bit flip', () => {
    const { bob, sealer, opener } = pair(provider);
    const envelope = sealer.seal('flip', utf8('abc'), bob.publicKey);
    let flips = 0;
    for (let bit = 0; bit < envelope.length * 8; bit++) {
      const modified = envelope.slice();
      modified[bit >> 3]! ^= 1 << (bit & 7);
      let caught: unknown;
      try {
        opener.open('flip', modified);
      } catch (error) {
        caught = error;
      }
      expect(caught, `bit ${bit}`).toBeInstanceOf(E2eeError);
      expect((caught as E2eeError).code, `bit ${bit}`).toBe(expectedCode(bit >> 3, bit & 7));
      flips++;
    }
    expect(flips).toBe((60 + 3 + 16) * 8);
    expect(new TextDecoder().decode(opener.open('flip', envelope).plaintext)).toBe('abc');
  });

  it('rejects forged sender key id', () => {
    const { alice, bob, opener } = pair(provider);
    const mallory = generateKeyPair(provider);
    const forged = new EnvelopeSealer({ identity: mallory, provider }).seal('t', utf8('x'), bob.publicKey);
    // Claim Alice's key id; the AAD covers the header, so the original tag no longer matches,
    // and Mallory cannot produce one for Alice's key.
    forged.set(keyId(alice.publicKey), 4);
    expect(() => opener.open('t', forged)).toThrow(DecryptionError);
  });

  it('rejects unknown sender', () => {
    const { bob, sealer } = pair(provider);
    const envelope = sealer.seal('t', utf8('x'), bob.publicKey);
    const noPeers = new EnvelopeOpener({ identities: [bob], resolveSender: () => [], provider });
    expect(() => noPeers.open('t', envelope)).toThrow(UnknownSenderError);
    const other = generateKeyPair(provider).publicKey;
    const wrongPeer = new EnvelopeOpener({ identities: [bob], resolveSender: () => [other], provider });
    expect(() => wrongPeer.open('t', envelope)).toThrow(UnknownSenderError);
  });

  it('rejects envelope for another recipient', () => {
    const { alice, bob, sealer } = pair(provider);
    const carol = generateKeyPair(provider);
    const envelope = sealer.seal('t', utf8('x'), bob.publicKey);
    const carolOpener = new EnvelopeOpener({ identities: [carol], resolveSender: () => [alice.publicKey], provider });
    expect(carolOpener.isForMe(envelope)).toBe(false);
    expect(() => carolOpener.open('t', envelope)).toThrow(NotForRecipientError);
  });

  it('isForMe checks recipient key id', () => {
    const { bob, sealer, opener } = pair(provider);
    const envelope = sealer.seal('t', utf8('x'), bob.publicKey);
    expect(opener.isForMe(envelope)).toBe(true);
    expect(opener.isForMe(envelope.subarray(0, 40))).toBe(false);
    expect(opener.isForMe(new Uint8Array(0))).toBe(false);
  });

  it('opens for every rotated identity', () => {
    const alice = generateKeyPair(provider);
    const oldKey = generateKeyPair(provider);
    const newKey = generateKeyPair(provider);
    const sealer = new EnvelopeSealer({ identity: alice, provider });
    const opener = new EnvelopeOpener({ identities: [oldKey, newKey], resolveSender: () => [alice.publicKey], provider });
    expect(opener.open('t', sealer.seal('t', utf8('old'), oldKey.publicKey)).recipientKeyId).toBe(keyIdHex(oldKey.publicKey));
    expect(opener.open('t', sealer.seal('t', utf8('new'), newKey.publicKey)).recipientKeyId).toBe(keyIdHex(newKey.publicKey));
  });

  it('seals empty and 1 MiB plaintexts', () => {
    const { bob, sealer, opener } = pair(provider);
    const empty = sealer.seal('t', new Uint8Array(0), bob.publicKey);
    expect(empty).toHaveLength(76);
    expect(opener.open('t', empty).plaintext).toHaveLength(0);
    const large = provider.randomBytes(65536);
    const mebibyte = new Uint8Array(1 << 20);
    for (let offset = 0; offset < mebibyte.length; offset += large.length) mebibyte.set(large, offset);
    mebibyte[12345] = 0xaa;
    const envelope = sealer.seal('t', mebibyte, bob.publicKey);
    expect(envelope).toHaveLength(60 + (1 << 20) + 16);
    expect(toHex(sha256(opener.open('t', envelope).plaintext))).toBe(toHex(sha256(mebibyte)));
  });

  it('seals only the visible subarray', () => {
    const { bob, sealer, opener } = pair(provider);
    const backing = utf8('HEADER-payload bytes-TRAILER');
    const view = backing.subarray(7, 20);
    const envelope = sealer.seal('t', view, bob.publicKey);
    expect(envelope).toHaveLength(60 + 13 + 16);
    expect(new TextDecoder().decode(opener.open('t', envelope).plaintext)).toBe('payload bytes');
  });

  it('rejects low-order recipient key', () => {
    const { sealer } = pair(provider);
    expect(() => sealer.seal('t', utf8('x'), new Uint8Array(32))).toThrow(InvalidKeyError);
  });

  it('rejects mismatched identity key pair', () => {
    const a = generateKeyPair(provider);
    const b = generateKeyPair(provider);
    const identity = { secretKey: a.secretKey, publicKey: b.publicKey };
    expect(() => new EnvelopeSealer({ identity, provider })).toThrow(InvalidKeyError);
    expect(() => new EnvelopeOpener({ identities: [identity], resolveSender: () => [], provider })).toThrow(
      InvalidKeyError,
    );
  });

  it('validates argument types', () => {
    const { bob, sealer, opener } = pair(provider);
    expect(() => sealer.seal(1 as unknown as string, utf8('x'), bob.publicKey)).toThrow(TypeError);
    expect(() => sealer.seal('t', 'x' as unknown as Uint8Array, bob.publicKey)).toThrow(TypeError);
    expect(() => sealer.seal('t', utf8('x'), bob.publicKey.subarray(1))).toThrow(RangeError);
    expect(() => sealer.seal('x'.repeat(65536), utf8('x'), bob.publicKey)).toThrow(RangeError);
    expect(() => opener.open('t', [1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });
});

/** Error code raised when bit `bit` of the byte at `offset` flips. */
function expectedCode(offset: number, bit: number): string {
  if (offset === 0) {
    // 0x01 turns into 0x00 or a byte from 0x21 up, which is no envelope, or into a later version.
    const flipped = 0x01 ^ (1 << bit);
    return flipped === 0 || flipped > 0x1f ? 'ERR_ENVELOPE_FORMAT' : 'ERR_UNSUPPORTED_VERSION';
  }
  if (offset === 1) return 'ERR_UNSUPPORTED_SUITE';
  if (offset === 2) return 'ERR_ENVELOPE_FORMAT';
  // Flags bit 0 is the padding flag: the header parses, and the AAD no longer matches.
  if (offset === 3) return bit === 0 ? 'ERR_DECRYPT' : 'ERR_ENVELOPE_FORMAT';
  if (offset < 12) return 'ERR_UNKNOWN_SENDER';
  if (offset < 20) return 'ERR_NOT_FOR_RECIPIENT';
  // Bit 255 of enc makes it a non-canonical X25519 encoding.
  if (offset === 51 && bit === 7) return 'ERR_ENVELOPE_FORMAT';
  return 'ERR_DECRYPT';
}

describe('envelope provider interop', () => {
  const directions = providers
    .flatMap((sealWith) => providers.filter((p) => p !== sealWith).map((openWith) => ({ sealWith, openWith })))
    .map((d) => ({ ...d, from: d.sealWith.name, to: d.openWith.name }));

  it.each(directions)('seals with $from, opens with $to', ({ sealWith, openWith }) => {
    const alice = generateKeyPair(sealWith);
    const bob = generateKeyPair(openWith);
    const sealer = new EnvelopeSealer({ identity: alice, provider: sealWith });
    const opener = new EnvelopeOpener({ identities: [bob], resolveSender: () => [alice.publicKey], provider: openWith });
    for (let i = 0; i < 3; i++) {
      const opened = opener.open('interop', sealer.seal('interop', utf8(`m${i}`), bob.publicKey));
      expect(new TextDecoder().decode(opened.plaintext)).toBe(`m${i}`);
      expect(opened.seq).toBe(BigInt(i));
    }
  });
});
