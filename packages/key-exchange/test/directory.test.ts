import { EnvelopeSealer, UnknownSenderError } from '@mqtt-e2ee/envelope';
import { describe, expect, it } from 'vitest';
import {
  KeyChangedError,
  KeyDirectory,
  KeyExpiredError,
  KeyRecordError,
  KeyRevokedError,
  LocalKeys,
  UnknownPeerError,
  createAnnouncement,
  encodeAnnouncement,
  encodeRevocation,
  endorseKey,
  generateAnchor,
  keyIdHex,
  revocationTopic,
  revokeKey,
  signingKeyFingerprint,
  type DeviceIdentity,
  type KeyDirectoryOptions,
  type TrustPolicy,
} from '../src/index.js';
import { deviceIdentity, manualClock } from './helpers.js';

const PREFIX = 'e2ee/v1';
const alice = deviceIdentity('alice');
const mallory = deviceIdentity('mallory');

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

function setup(policy: TrustPolicy, extra: Partial<KeyDirectoryOptions> = {}) {
  const clock = manualClock();
  const directory = new KeyDirectory({ policy, prefix: PREFIX, now: clock.now, graceMs: 1000, ...extra });
  const aliceKeys = new LocalKeys({ prefix: PREFIX, clientId: 'alice', identity: alice, now: clock.now, graceMs: 1000 });
  const ingest = (payload: Uint8Array, clientId = 'alice') => directory.ingestAnnouncement(`${PREFIX}/keys/${clientId}`, payload);
  const forge = (identity: DeviceIdentity, seq: number, clientId = 'alice', prefix = PREFIX) =>
    encodeAnnouncement(createAnnouncement({ identity, prefix, clientId, seq, validFrom: clock.now(), validUntil: clock.now() + 60_000 }));
  return { clock, directory, aliceKeys, ingest, forge };
}

describe('trust on first use', () => {
  it('pins first key', () => {
    const { directory, aliceKeys, ingest } = setup('tofu');
    expect(ingest(encodeAnnouncement(aliceKeys.announcement())).status).toBe('accepted');
    expect(directory.peer('alice').encryptionKey).toEqual(alice.publicKey);
    expect(directory.pinsOf('alice')).toEqual([signingKeyFingerprint(alice.signing.publicKey)]);
  });

  it('alarms on replaced key', () => {
    const { directory, aliceKeys, ingest, forge } = setup('tofu');
    ingest(encodeAnnouncement(aliceKeys.announcement()));
    const error = errorOf(() => ingest(forge(mallory, Date.now() * 2)));
    expect(error).toBeInstanceOf(KeyChangedError);
    expect((error as KeyChangedError).code).toBe('ERR_KEY_CHANGED');
    expect(directory.peer('alice').encryptionKey).toEqual(alice.publicKey);
  });

  it('accepts signed rotation', () => {
    const { directory, aliceKeys, ingest, clock } = setup('tofu');
    ingest(encodeAnnouncement(aliceKeys.announcement()));
    clock.advance(10);
    const rotated = aliceKeys.rotate(deviceIdentity('alice 2'));
    expect(ingest(encodeAnnouncement(rotated)).status).toBe('rotated');
    expect(directory.peer('alice').encryptionKey).toEqual(deviceIdentity('alice 2').publicKey);
  });

  it('follows two rotations in one millisecond', () => {
    const { directory, aliceKeys, ingest } = setup('tofu');
    ingest(encodeAnnouncement(aliceKeys.announcement()));
    aliceKeys.rotate(deviceIdentity('alice 2'));
    const second = aliceKeys.rotate(deviceIdentity('alice 3'));
    // The receiver missed the middle announcement; the chain of links still leads to its pin.
    expect(ingest(encodeAnnouncement(second)).status).toBe('rotated');
    expect(directory.peer('alice').encryptionKey).toEqual(deviceIdentity('alice 3').publicKey);
    expect(directory.resolveSender(keyIdHex(alice))).toEqual([alice.publicKey]);
  });

  it('rejects rollback and equivocation', () => {
    const { aliceKeys, ingest, forge } = setup('tofu');
    const first = encodeAnnouncement(aliceKeys.announcement());
    ingest(first);
    const rotated = encodeAnnouncement(aliceKeys.rotate(deviceIdentity('alice 2')));
    ingest(rotated);
    expect((errorOf(() => ingest(first)) as KeyRecordError).reason).toBe('rollback');
    expect(ingest(rotated).status).toBe('unchanged');
    const sameSeq = aliceKeys.announcement().seq;
    const other = forge(deviceIdentity('alice 2'), sameSeq);
    expect((errorOf(() => ingest(other)) as KeyRecordError).reason).toBe('equivocation');
  });

  it('rejects announcement moved between topics', () => {
    const { ingest, forge } = setup('tofu');
    const error = errorOf(() => ingest(forge(mallory, 1, 'mallory'), 'alice')) as KeyRecordError;
    expect(error.reason).toBe('wrong-topic');
    const prefixed = errorOf(() => ingest(forge(alice, 1, 'alice', 'other/v1'))) as KeyRecordError;
    expect(prefixed.reason).toBe('wrong-prefix');
  });

  it('rejects expired and future announcements', () => {
    const { ingest, clock } = setup('tofu');
    const old = encodeAnnouncement(createAnnouncement({ identity: alice, prefix: PREFIX, clientId: 'alice', seq: 1, validFrom: clock.now() - 10_000, validUntil: clock.now() - 1 }));
    expect((errorOf(() => ingest(old)) as KeyRecordError).reason).toBe('expired');
    const future = encodeAnnouncement(createAnnouncement({ identity: alice, prefix: PREFIX, clientId: 'alice', seq: 1, validFrom: clock.now() + 3_600_000, validUntil: clock.now() + 7_200_000 }));
    expect((errorOf(() => ingest(future)) as KeyRecordError).reason).toBe('not-yet-valid');
  });

  it('rejects key claimed by two clients', () => {
    const { ingest, forge } = setup('tofu');
    ingest(forge(alice, 1));
    expect((errorOf(() => ingest(forge(alice, 1, 'bob'), 'bob')) as KeyRecordError).reason).toBe('conflict');
  });

  it('keeps pins across restarts', () => {
    const { directory, aliceKeys, ingest, forge, clock } = setup('tofu');
    ingest(encodeAnnouncement(aliceKeys.announcement()));
    const restarted = new KeyDirectory({ policy: 'tofu', prefix: PREFIX, now: clock.now, state: JSON.parse(JSON.stringify(directory.exportState())) });
    expect(restarted.peer('alice').encryptionKey).toEqual(alice.publicKey);
    expect(() => restarted.ingestAnnouncement(`${PREFIX}/keys/alice`, forge(mallory, Date.now() * 2))).toThrow(KeyChangedError);
  });

  it('reports rejection on lookup', () => {
    const { directory, ingest, forge } = setup('tofu');
    expect(() => ingest(forge(mallory, 1, 'mallory'))).toThrow(KeyRecordError);
    const error = errorOf(() => directory.peer('alice'));
    expect(error).toBeInstanceOf(UnknownPeerError);
    expect(error.message).toMatch(/moved it/);
  });
});

describe('pinning and anchors', () => {
  it('pin policy accepts only pinned keys', () => {
    const fingerprint = signingKeyFingerprint(alice.signing.publicKey);
    const { directory, ingest, forge } = setup('pin', { pins: { alice: fingerprint } });
    expect((errorOf(() => ingest(forge(mallory, 1))) as KeyRecordError).reason).toBe('untrusted');
    expect(ingest(forge(alice, 2)).status).toBe('accepted');
    expect((errorOf(() => ingest(forge(mallory, 3, 'bob'), 'bob')) as KeyRecordError).reason).toBe('untrusted');
    expect(directory.clientIds()).toEqual(['alice']);
  });

  it('anchor policy needs valid endorsement', () => {
    const anchor = generateAnchor();
    const otherAnchor = generateAnchor();
    const { ingest, clock, directory } = setup('anchor', { anchors: [anchor.publicKey] });
    const endorse = (by: typeof anchor, until: number) =>
      endorseKey(by, { prefix: PREFIX, clientId: 'alice', device: alice, validFrom: clock.now() - 1, validUntil: until });
    const make = (seq: number, endorsements: ReturnType<typeof endorse>[]) =>
      encodeAnnouncement(createAnnouncement({ identity: alice, prefix: PREFIX, clientId: 'alice', seq, validFrom: clock.now(), validUntil: clock.now() + 60_000, endorsements }));
    expect((errorOf(() => ingest(make(1, []))) as KeyRecordError).reason).toBe('endorsement');
    expect((errorOf(() => ingest(make(2, [endorse(otherAnchor, clock.now() + 9999)]))) as KeyRecordError).reason).toBe('endorsement');
    expect((errorOf(() => ingest(make(3, [endorse(anchor, clock.now())]))) as KeyRecordError).reason).toBe('endorsement');
    expect(ingest(make(4, [endorse(anchor, clock.now() + 9999)])).status).toBe('accepted');
    expect(directory.peer('alice').keyId).toBe(keyIdHex(alice));
  });

  it('anchor endorses replacement under tofu', () => {
    const anchor = generateAnchor();
    const { ingest, forge, clock, directory } = setup('tofu', { anchors: [anchor.publicKey] });
    ingest(forge(alice, 1));
    const next = deviceIdentity('alice new device');
    const endorsement = endorseKey(anchor, { prefix: PREFIX, clientId: 'alice', device: next, validFrom: clock.now(), validUntil: clock.now() + 10_000 });
    const replaced = createAnnouncement({ identity: next, prefix: PREFIX, clientId: 'alice', seq: 2, validFrom: clock.now(), validUntil: clock.now() + 60_000, endorsements: [endorsement] });
    expect(ingest(encodeAnnouncement(replaced)).status).toBe('rotated');
    expect(directory.peer('alice').encryptionKey).toEqual(next.publicKey);
  });

  it('insecure policy accepts forged key', () => {
    const { ingest, forge, directory } = setup('insecure');
    ingest(forge(alice, 5));
    expect(ingest(forge(mallory, 1)).status).toBe('rotated');
    expect(directory.peer('alice').encryptionKey).toEqual(mallory.publicKey);
  });
});

describe('revocation and grace', () => {
  it('revoked key is refused everywhere', () => {
    const anchor = generateAnchor();
    const { directory, ingest, forge, clock } = setup('tofu', { anchors: [anchor.publicKey] });
    ingest(forge(alice, 1));
    const revocation = revokeKey(anchor, { prefix: PREFIX, clientId: 'alice', device: alice, revokedAt: clock.now(), reason: 'lost' });
    const topic = revocationTopic(PREFIX, 'alice', keyIdHex(alice));
    expect(directory.ingestRevocation(topic, encodeRevocation(revocation))).toBe(true);
    expect(() => directory.peer('alice')).toThrow(KeyRevokedError);
    expect(directory.resolveSender(keyIdHex(alice))).toEqual([]);
    expect(directory.explainUnknownSender(keyIdHex(alice))).toBeInstanceOf(KeyRevokedError);
    expect(() => ingest(forge(alice, 2))).toThrow(KeyRevokedError);
  });

  it('rejects revocation from unknown anchor', () => {
    const anchor = generateAnchor();
    const { directory, ingest, forge, clock } = setup('tofu', { anchors: [generateAnchor().publicKey] });
    ingest(forge(alice, 1));
    const revocation = revokeKey(anchor, { prefix: PREFIX, clientId: 'alice', device: alice, revokedAt: clock.now() });
    const topic = revocationTopic(PREFIX, 'alice', keyIdHex(alice));
    expect((errorOf(() => directory.ingestRevocation(topic, encodeRevocation(revocation))) as KeyRecordError).reason).toBe('untrusted');
    expect(directory.peer('alice').keyId).toBe(keyIdHex(alice));
  });

  it('old key works only during grace', () => {
    const { directory, aliceKeys, ingest, clock } = setup('tofu');
    ingest(encodeAnnouncement(aliceKeys.announcement()));
    ingest(encodeAnnouncement(aliceKeys.rotate(deviceIdentity('alice 2'))));
    expect(directory.resolveSender(keyIdHex(alice))).toEqual([alice.publicKey]);
    clock.advance(1000);
    expect(directory.resolveSender(keyIdHex(alice))).toEqual([]);
    const explained = directory.explainUnknownSender(keyIdHex(alice));
    expect(explained).toBeInstanceOf(KeyExpiredError);
    expect((explained as KeyExpiredError).code).toBe('ERR_KEY_EXPIRED');
  });

  it('retired own key expires after grace', () => {
    const { aliceKeys, clock } = setup('tofu');
    const bob = deviceIdentity('bob');
    const sealer = new EnvelopeSealer({ identity: bob });
    const inFlight = sealer.seal('t', new TextEncoder().encode('late'), alice.publicKey);
    const afterGrace = sealer.seal('t', new TextEncoder().encode('too late'), alice.publicKey);
    aliceKeys.rotate(deviceIdentity('alice 2'));
    const resolve = () => [bob.publicKey];
    expect(new TextDecoder().decode(aliceKeys.open('t', inFlight, resolve).plaintext)).toBe('late');
    clock.advance(1000);
    const error = errorOf(() => aliceKeys.open('t', afterGrace, resolve));
    expect(error).toBeInstanceOf(KeyExpiredError);
    expect((error as KeyExpiredError).code).toBe('ERR_KEY_EXPIRED');
    expect(() => aliceKeys.open('t', afterGrace, () => [])).toThrow(KeyExpiredError);
    const unknown = new EnvelopeSealer({ identity: bob }).seal('t', new Uint8Array(1), deviceIdentity('alice 2').publicKey);
    expect(() => aliceKeys.open('t', unknown, () => [])).toThrow(UnknownSenderError);
  });

  it('own rotation state survives restart', () => {
    const { aliceKeys, clock } = setup('tofu');
    aliceKeys.announcement();
    const rotated = aliceKeys.rotate(deviceIdentity('alice 2'));
    const state = JSON.parse(JSON.stringify(aliceKeys.exportState()));
    const restarted = new LocalKeys({ prefix: PREFIX, clientId: 'alice', identity: deviceIdentity('alice 2'), now: clock.now, graceMs: 1000, state });
    expect(restarted.isOwnKeyId(keyIdHex(alice))).toBe(true);
    const next = restarted.announcement();
    expect(next.seq).toBeGreaterThan(rotated.seq);
    expect(next.rotations).toHaveLength(1);
  });
});
