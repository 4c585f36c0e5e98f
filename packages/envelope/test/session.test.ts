import { describe, expect, it } from 'vitest';
import {
  DecryptionError,
  DuplicateMessageError,
  EnvelopeFormatError,
  EnvelopeOpener,
  EnvelopeSealer,
  generateKeyPair,
  parseHeader,
  ReplayError,
  UnsupportedSuiteError,
  UnsupportedVersionError,
  type CryptoProvider,
} from '../src/index.js';
import { countingProvider, providers, toHex, utf8 } from './helpers.js';

function setup(provider: CryptoProvider, sealerOptions: { maxMessagesPerSession?: number; now?: () => number } = {}, replayWindow?: number) {
  const senderProvider = countingProvider(provider);
  const receiverProvider = countingProvider(provider);
  const alice = generateKeyPair(provider);
  const bob = generateKeyPair(provider);
  const sealer = new EnvelopeSealer({ identity: alice, provider: senderProvider, ...sealerOptions });
  const opener = new EnvelopeOpener({
    identities: [bob],
    resolveSender: () => [alice.publicKey],
    provider: receiverProvider,
    ...(replayWindow === undefined ? {} : { replayWindow }),
  });
  const seal = (topic: string, text: string) => sealer.seal(topic, utf8(text), bob.publicKey);
  return { alice, bob, sealer, opener, seal, senderProvider, receiverProvider };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe.each(providers)('sessions with $name', (provider) => {
  it('opens lossy out-of-order delivery', () => {
    const { opener, seal } = setup(provider);
    const sent = Array.from({ length: 10 }, (_, i) => seal('t', `message ${i}`));
    for (const i of [5, 2, 9]) {
      const opened = opener.open('t', sent[i]!);
      expect(text(opened.plaintext)).toBe(`message ${i}`);
      expect(opened.seq).toBe(BigInt(i));
    }
    expect(() => opener.open('t', sent[5]!)).toThrow(ReplayError);
    expect(text(opener.open('t', sent[0]!).plaintext)).toBe('message 0');
  });

  it('rejects replayed message', () => {
    const { opener, seal } = setup(provider);
    const envelope = seal('t', 'once');
    expect(text(opener.open('t', envelope).plaintext)).toBe('once');
    let caught: unknown;
    try {
      opener.open('t', envelope);
    } catch (error) {
      caught = error;
    }
    // An exact copy is a duplicate: still a ReplayError for old handlers, with its own code.
    expect(caught).toBeInstanceOf(DuplicateMessageError);
    expect(caught).toBeInstanceOf(ReplayError);
    expect((caught as ReplayError).code).toBe('ERR_DUPLICATE');
    expect((caught as ReplayError).reason).toBe('duplicate');
    expect((caught as ReplayError).seq).toBe(0n);
    expect(opener.stats).toEqual({ accepted: 1, duplicates: 1, replays: 0 });
  });

  it('rejects seq older than window', () => {
    const { opener, seal } = setup(provider, {}, 4);
    const sent = Array.from({ length: 10 }, (_, i) => seal('t', `m${i}`));
    expect(opener.open('t', sent[9]!).seq).toBe(9n);
    expect(() => opener.open('t', sent[5]!)).toThrow(/older than the replay window/);
    expect(opener.open('t', sent[6]!).seq).toBe(6n);
  });

  it('reuses one session per recipient', () => {
    const { opener, seal, senderProvider, receiverProvider } = setup(provider);
    const sent = Array.from({ length: 20 }, (_, i) => seal('t', `m${i}`));
    const encs = new Set(sent.map((e) => toHex(parseHeader(e).enc)));
    expect(encs.size).toBe(1);
    // RFC 9180 AuthEncap and AuthDecap each run two X25519 operations, DH(ephemeral or
    // recipient, peer) and DH(static, static), once per session and not per message.
    expect(senderProvider.counts.x25519).toBe(2);
    for (const envelope of sent) opener.open('t', envelope);
    expect(receiverProvider.counts.x25519).toBe(2);
    expect(receiverProvider.counts.aeadOpen).toBe(20);
  });

  it('rolls over after maxMessagesPerSession', () => {
    const { opener, seal, senderProvider, receiverProvider } = setup(provider, { maxMessagesPerSession: 5 });
    const sent = Array.from({ length: 12 }, (_, i) => seal('t', `m${i}`));
    const headers = sent.map((e) => parseHeader(e));
    expect(headers.map((h) => h.seq)).toEqual([0n, 1n, 2n, 3n, 4n, 0n, 1n, 2n, 3n, 4n, 0n, 1n]);
    expect(new Set(headers.map((h) => toHex(h.enc))).size).toBe(3);
    expect(senderProvider.counts.x25519).toBe(3 * 2);
    const sessionIds = new Set(sent.map((e, i) => {
      const opened = opener.open('t', e);
      expect(text(opened.plaintext)).toBe(`m${i}`);
      return opened.sessionId;
    }));
    expect(sessionIds.size).toBe(3);
    expect(receiverProvider.counts.x25519).toBe(3 * 2);
  });

  it('rolls over after maxSessionAgeMs', () => {
    let clock = 1_000_000;
    const { opener, seal } = setup(provider, { now: () => clock });
    const first = seal('t', 'a');
    clock += 60 * 60 * 1000 - 1;
    const second = seal('t', 'b');
    clock += 1;
    const third = seal('t', 'c');
    expect(toHex(parseHeader(second).enc)).toBe(toHex(parseHeader(first).enc));
    expect(toHex(parseHeader(third).enc)).not.toBe(toHex(parseHeader(first).enc));
    expect(parseHeader(third).seq).toBe(0n);
    expect(text(opener.open('t', third).plaintext)).toBe('c');
    expect(text(opener.open('t', first).plaintext)).toBe('a');
  });

  it('rejects bad headers before decryption', () => {
    const { opener, seal, receiverProvider } = setup(provider);
    const envelope = seal('t', 'x');
    const variant = (offset: number, value: number) => {
      const copy = envelope.slice();
      copy[offset] = value;
      return copy;
    };
    expect(() => opener.open('t', variant(0, 0x02))).toThrow(UnsupportedVersionError);
    expect(() => opener.open('t', variant(0, 0x1f))).toThrow(UnsupportedVersionError);
    // 0x00 and bytes from 0x20 up mark a payload that is no envelope at all, such as text.
    expect(() => opener.open('t', variant(0, 0x00))).toThrow(/not an mqtt-e2ee envelope/);
    expect(() => opener.open('t', variant(0, 0x7b))).toThrow(EnvelopeFormatError);
    expect(() => opener.open('t', variant(1, 0x02))).toThrow(UnsupportedSuiteError);
    expect(() => opener.open('t', variant(2, 0x02))).toThrow(EnvelopeFormatError);
    expect(() => opener.open('t', variant(3, 0x02))).toThrow(/flag/);
    expect(() => opener.open('t', envelope.subarray(0, 75))).toThrow(EnvelopeFormatError);
    expect(() => opener.open('t', envelope.subarray(0, 1))).toThrow(EnvelopeFormatError);
    expect(() => opener.open('t', new Uint8Array(0))).toThrow(EnvelopeFormatError);
    // A version 2 envelope is reported as such even when shorter than a v1 header.
    expect(() => opener.open('t', Uint8Array.of(0x02))).toThrow(UnsupportedVersionError);
    expect(receiverProvider.counts.x25519).toBe(0);
    expect(receiverProvider.counts.aeadOpen).toBe(0);
  });

  it('checks every header of a known session, without parsing it again', () => {
    const { opener, seal, receiverProvider } = setup(provider);
    const first = seal('t', 'first');
    const second = seal('t', 'second');
    expect(text(opener.open('t', first).plaintext)).toBe('first');
    const x25519 = receiverProvider.counts.x25519;
    const variant = (offset: number, value: number) => {
      const copy = second.slice();
      copy[offset] = value;
      return copy;
    };
    // The session ids repeat those of the last message, so these take the short path and must
    // still fail like a full parse.
    expect(() => opener.open('t', variant(0, 0x02))).toThrow(UnsupportedVersionError);
    expect(() => opener.open('t', variant(1, 0x02))).toThrow(UnsupportedSuiteError);
    expect(() => opener.open('t', variant(2, 0x02))).toThrow(EnvelopeFormatError);
    expect(() => opener.open('t', variant(3, 0x80))).toThrow(/flag/);
    expect(() => opener.open('t', second.subarray(0, 75))).toThrow(EnvelopeFormatError);
    // Flags, seq, ciphertext and tag are authenticated.
    expect(() => opener.open('t', variant(3, 0x01))).toThrow(DecryptionError);
    expect(() => opener.open('t', variant(59, (second[59] as number) ^ 1))).toThrow(DecryptionError);
    expect(() => opener.open('t', variant(70, (second[70] as number) ^ 1))).toThrow(DecryptionError);
    expect(() => opener.open('other', second)).toThrow(DecryptionError);
    // A changed session id leaves the short path and fails as an unknown session would.
    expect(() => opener.open('t', variant(20, (second[20] as number) ^ 1))).toThrow();
    const opened = opener.open('t', second);
    expect(text(opened.plaintext)).toBe('second');
    expect(opened.seq).toBe(1n);
    expect(receiverProvider.counts.x25519).toBe(x25519 + 2);
    expect(() => opener.open('t', second)).toThrow(DuplicateMessageError);
  });

  it('hands out plaintexts and envelopes that do not overlap', () => {
    const { opener, seal } = setup(provider);
    const envelopes = Array.from({ length: 40 }, (_, i) => seal('t', `message ${i} `.repeat(20)));
    const plaintexts = envelopes.map((envelope) => opener.open('t', envelope).plaintext);
    // Later opens must not have written into the bytes of earlier results.
    plaintexts.forEach((plaintext, i) => expect(text(plaintext)).toBe(`message ${i} `.repeat(20)));
    const spans = [...envelopes, ...plaintexts]
      .map((bytes) => ({ buffer: bytes.buffer, start: bytes.byteOffset, end: bytes.byteOffset + bytes.length }))
      .sort((a, b) => a.start - b.start);
    for (const [i, a] of spans.entries()) {
      for (const b of spans.slice(i + 1)) {
        if (a.buffer === b.buffer) expect(b.start >= a.end, 'two results share bytes').toBe(true);
      }
    }
  });

  it('keeps the sessions of interleaved senders apart', () => {
    const counting = countingProvider(provider);
    const bob = generateKeyPair(provider);
    const senders = Array.from({ length: 5 }, () => generateKeyPair(provider));
    const sealers = senders.map((identity) => new EnvelopeSealer({ identity, provider }));
    const open = (maxSessions: number) => {
      const opener = new EnvelopeOpener({
        identities: [bob],
        resolveSender: () => senders.map((pair) => pair.publicKey),
        provider: counting,
        maxSessions,
      });
      const before = counting.counts.x25519;
      for (let round = 0; round < 3; round++) {
        sealers.forEach((sealer, i) => {
          const opened = opener.open('t', sealer.seal('t', utf8(`${i}/${round}`), bob.publicKey));
          expect(text(opened.plaintext)).toBe(`${i}/${round}`);
          expect(opened.senderPublicKey).toEqual(senders[i]?.publicKey);
        });
      }
      return counting.counts.x25519 - before;
    };
    // Each sender's session is set up once (two X25519 in AuthDecap) and then found again.
    expect(open(5)).toBe(5 * 2);
    // With room for two sessions, round-robin order evicts each session before its next message.
    expect(open(2)).toBe(3 * 5 * 2);
  });

  it('wipes the plaintext of a duplicate, which shares a block with delivered results', () => {
    const { opener, seal } = setup(provider);
    // The first message of a session is opened during its setup; the later ones share blocks.
    opener.open('t', seal('t', 'session setup'));
    const envelope = seal('t', 'secret duplicate text');
    const delivered = opener.open('t', envelope).plaintext;
    expect(() => opener.open('t', envelope)).toThrow(DuplicateMessageError);
    // The duplicate was decrypted into the bytes after the delivered plaintext.
    const after = new Uint8Array(delivered.buffer, delivered.byteOffset + delivered.length, 256);
    expect(after.every((byte) => byte === 0)).toBe(true);
  });

  it('keeps working after a caller transfers the buffer of a result', () => {
    const { opener, seal } = setup(provider);
    const first = seal('t', 'first');
    const opened = opener.open('t', first).plaintext;
    // Transferring detaches the shared block; the views in it become empty.
    structuredClone(opened.buffer, { transfer: [opened.buffer as ArrayBuffer] });
    structuredClone(first.buffer, { transfer: [first.buffer as ArrayBuffer] });
    expect(opened.length).toBe(0);
    for (let i = 0; i < 3; i++) {
      expect(text(opener.open('t', seal('t', `after ${i}`)).plaintext)).toBe(`after ${i}`);
    }
  });

  it('reopens sessions after cache eviction', () => {
    const provider2 = countingProvider(provider);
    const alice = generateKeyPair(provider);
    const carol = generateKeyPair(provider);
    const bob = generateKeyPair(provider);
    const peers = [alice.publicKey, carol.publicKey];
    const opener = new EnvelopeOpener({ identities: [bob], resolveSender: () => peers, provider: provider2, maxSessions: 1 });
    const fromAlice = new EnvelopeSealer({ identity: alice, provider });
    const fromCarol = new EnvelopeSealer({ identity: carol, provider });
    expect(text(opener.open('t', fromAlice.seal('t', utf8('a0'), bob.publicKey)).plaintext)).toBe('a0');
    expect(text(opener.open('t', fromCarol.seal('t', utf8('c0'), bob.publicKey)).plaintext)).toBe('c0');
    const calls = provider2.counts.x25519;
    expect(text(opener.open('t', fromAlice.seal('t', utf8('a1'), bob.publicKey)).plaintext)).toBe('a1');
    // Alice's session was dropped, so it is set up again with the two X25519 calls of AuthDecap.
    expect(provider2.counts.x25519).toBe(calls + 2);
  });
});
