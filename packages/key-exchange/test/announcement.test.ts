import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  KeyFormatError,
  KeyRecordError,
  createAnnouncement,
  createRotationLink,
  decodeAnchorPublicKey,
  decodeSigningPublicKey,
  encodeAnchorPublicKey,
  encodeAnnouncement,
  encodeSigningPublicKey,
  endorseKey,
  generateAnchor,
  parseAnnouncement,
  signingKeyFingerprint,
} from '../src/index.js';
import { buildKeyText, deviceIdentity } from './helpers.js';

const T0 = 1_800_000_000_000;
const alice = deviceIdentity('alice');

function announce(overrides: Partial<Parameters<typeof createAnnouncement>[0]> = {}) {
  return createAnnouncement({
    identity: alice,
    prefix: 'e2ee/v1',
    clientId: 'alice',
    seq: 1,
    validFrom: T0,
    validUntil: T0 + 60_000,
    ...overrides,
  });
}

function json(a: ReturnType<typeof announce>): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(encodeAnnouncement(a))) as Record<string, unknown>;
}

function bytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function recordError(action: () => unknown): KeyRecordError {
  try {
    action();
  } catch (error) {
    if (error instanceof KeyRecordError) return error;
    throw error;
  }
  throw new Error('expected KeyRecordError');
}

describe('signing key texts', () => {
  it('round trip independent encoding', () => {
    const text = buildKeyText('mqe2e-sp1-', alice.signing.publicKey);
    expect(encodeSigningPublicKey(alice.signing.publicKey)).toBe(text);
    expect(decodeSigningPublicKey(text)).toEqual(alice.signing.publicKey);
    expect(text).toHaveLength(58);
  });

  it('reject anchor key as device key', () => {
    const anchor = generateAnchor();
    const text = encodeAnchorPublicKey(anchor.publicKey);
    expect(() => decodeSigningPublicKey(text)).toThrow(KeyFormatError);
    expect(() => decodeSigningPublicKey(text)).toThrow(/anchor public key/);
    expect(decodeAnchorPublicKey(text)).toEqual(anchor.publicKey);
  });

  it('reject small-order Ed25519 point', () => {
    const identity = ed25519.Point.ZERO.toBytes();
    const error = (() => {
      try {
        decodeSigningPublicKey(buildKeyText('mqe2e-sp1-', identity));
      } catch (e) {
        return e as KeyFormatError;
      }
      return undefined;
    })();
    expect(error?.reason).toBe('low-order');
  });
});

describe('announcement records', () => {
  it('round trip through JSON', () => {
    const a = announce();
    const parsed = parseAnnouncement(encodeAnnouncement(a));
    expect(parsed.clientId).toBe('alice');
    expect(parsed.seq).toBe(1);
    expect(parsed.encryptionKey).toEqual(alice.publicKey);
    expect(parsed.signingKey).toEqual(alice.signing.publicKey);
  });

  it('reject every altered signed field', () => {
    const bob = deviceIdentity('bob');
    const base = json(announce());
    const changes: Record<string, unknown> = {
      prefix: 'other/v1',
      clientId: 'mallory',
      seq: 2,
      validFrom: T0 + 1,
      validUntil: T0 + 120_000,
      encryptionKey: buildKeyText('mqe2e-pk1-', bob.publicKey),
    };
    for (const [field, value] of Object.entries(changes)) {
      const error = recordError(() => parseAnnouncement(bytes({ ...base, [field]: value })));
      expect(error.reason, field).toBe('signature');
    }
  });

  it('reject swapped signing key', () => {
    const bob = deviceIdentity('bob');
    const base = json(announce());
    const error = recordError(() => parseAnnouncement(bytes({ ...base, signingKey: encodeSigningPublicKey(bob.signing.publicKey) })));
    expect(error.reason).toBe('signature');
  });

  it('reject unknown fields and bad JSON', () => {
    expect(recordError(() => parseAnnouncement(bytes({ ...json(announce()), extra: 1 }))).reason).toBe('malformed');
    expect(recordError(() => parseAnnouncement(new TextEncoder().encode('{'))).reason).toBe('malformed');
    expect(recordError(() => parseAnnouncement(Uint8Array.of(0xff, 0xfe))).reason).toBe('malformed');
    const { seq: _seq, ...withoutSeq } = json(announce());
    expect(recordError(() => parseAnnouncement(bytes(withoutSeq))).message).toMatch(/"seq"/);
  });

  it('verify rotation chains', () => {
    const next = deviceIdentity('alice 2');
    const link = createRotationLink('e2ee/v1', 'alice', alice, next, T0 + 5);
    const a = announce({ identity: next, seq: 2, rotations: [link] });
    expect(parseAnnouncement(encodeAnnouncement(a)).rotations).toHaveLength(1);
    const forged = json(a);
    const rotations = forged['rotations'] as Record<string, unknown>[];
    const mallory = deviceIdentity('mallory');
    const tampered = { ...forged, rotations: [{ ...rotations[0], retiredAt: T0 + 6 }] };
    expect(recordError(() => parseAnnouncement(bytes(tampered))).reason).toBe('rotation');
    // A link signed by another key over the same keys does not verify either.
    const fakeLink = createRotationLink('e2ee/v1', 'alice', mallory, next, T0 + 5);
    expect(() => announce({ identity: next, seq: 2, rotations: [{ ...fakeLink, signingKey: alice.signing.publicKey }] })).toThrow(KeyRecordError);
  });

  it('reject endorsement of another client', () => {
    const anchor = generateAnchor();
    const endorsement = endorseKey(anchor, { prefix: 'e2ee/v1', clientId: 'bob', device: alice, validFrom: T0, validUntil: T0 + 1000 });
    const error = recordError(() => announce({ endorsements: [endorsement] }));
    expect(error.reason).toBe('endorsement');
  });

  it('fingerprints differ per key', () => {
    expect(signingKeyFingerprint(alice.signing.publicKey)).toMatch(/^[0-9a-f]{64}$/);
    expect(signingKeyFingerprint(alice.signing.publicKey)).not.toBe(signingKeyFingerprint(deviceIdentity('bob').signing.publicKey));
  });
});
