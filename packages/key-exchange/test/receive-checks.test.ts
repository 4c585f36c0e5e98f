/**
 * Sender checks on the receive path of KeyExchange. The opener keeps a direct session and the
 * engine caches directory results per sender. So each test lets a first message warm those
 * caches, then changes the directory or the clock. The next message of the same session or epoch
 * must be judged on the new state.
 */
import { EnvelopeSealer, UnknownSenderError, keyIdHex } from '@mqtt-e2ee/envelope';
import { describe, expect, it } from 'vitest';
import {
  KeyExpiredError,
  KeyRevokedError,
  LocalKeys,
  createKeyExchange,
  encodePublicKey,
  encodeRevocation,
  generateAnchor,
  revocationTopic,
  revokeKey,
  type KeyExchange,
  type KeyExchangeTransport,
  type ReceiveOutcome,
  type ReceivedMessage,
} from '../src/index.js';
import { deviceIdentity, manualClock } from './helpers.js';

const PREFIX = 'e2ee/v1';
const GRACE_MS = 1000;
const text = (value: string) => new TextEncoder().encode(value);
const read = (value: Uint8Array) => new TextDecoder().decode(value);

interface Published {
  readonly topic: string;
  readonly payload: Uint8Array;
}

function recorder() {
  const published: Published[] = [];
  const transport: KeyExchangeTransport = {
    publish: async (topic, payload) => {
      published.push({ topic, payload });
    },
    subscribe: async (filters) => filters.map(() => 1),
  };
  return { published, transport };
}

function messageOf(outcome: ReceiveOutcome<undefined>): ReceivedMessage {
  if (outcome.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(outcome)}`);
  return outcome.message;
}

function errorOf(outcome: ReceiveOutcome<undefined>): Error {
  if (outcome.kind !== 'error') throw new Error(`expected an error, got outcome ${outcome.kind}`);
  return outcome.error;
}

/** Alice and Bob with a shared manual clock, a trusted anchor, and each other's announcements. */
async function pair() {
  const clock = manualClock(Date.now());
  const anchor = generateAnchor();
  const aliceIdentity = deviceIdentity('alice');
  const sides = { alice: recorder(), bob: recorder(), carol: recorder() };
  const create = (clientId: 'alice' | 'bob' | 'carol', identity = deviceIdentity(clientId)): KeyExchange<undefined> =>
    createKeyExchange({
      clientId,
      identity,
      policy: 'tofu',
      anchors: [anchor.publicKey],
      transport: sides[clientId].transport,
      now: clock.now,
      graceMs: GRACE_MS,
      discoveryTimeoutMs: 100,
    });
  const alice = create('alice', aliceIdentity);
  const bob = create('bob');
  const carol = create('carol');
  await Promise.all([alice.start(), bob.start(), carol.start()]);
  const deliver = (to: KeyExchange<undefined>, from: Published[]): void => {
    for (const m of from) to.receive(m.topic, m.payload, undefined);
  };
  deliver(alice, [...sides.bob.published, ...sides.carol.published]);
  deliver(bob, sides.alice.published);
  deliver(carol, sides.alice.published);
  /** Revokes Alice's original key and hands the revocation to Bob. */
  const revokeAlice = (): void => {
    const revocation = revokeKey(anchor, { prefix: PREFIX, clientId: 'alice', device: aliceIdentity, revokedAt: clock.now(), reason: 'lost' });
    const outcome = bob.receive(revocationTopic(PREFIX, 'alice', keyIdHex(aliceIdentity.publicKey)), encodeRevocation(revocation), undefined);
    expect(outcome.kind).toBe('control');
  };
  /** Creates a group of Alice with Bob as member and delivers its keys to Bob. */
  const group = async () => {
    const publisher = alice.group({ groupId: 'g', topics: ['data/#'], members: ['bob'] });
    const first = await publisher.seal('data/1', text('first'));
    deliver(bob, sides.alice.published.filter((m) => m.topic.includes('/inbox/')));
    return { publisher, first };
  };
  return { clock, alice, bob, carol, aliceIdentity, sides, deliver, revokeAlice, group };
}

describe('direct sender checks', () => {
  it('carries the sealing key', async () => {
    const { alice, bob, aliceIdentity } = await pair();
    const first = messageOf(bob.receive('data/x', await alice.sealFor('bob', 'data/x', text('one')), undefined));
    expect(first.sender).toBe('alice');
    expect(first.senderKey?.keyId).toBe(keyIdHex(aliceIdentity.publicKey));
    expect(first.senderKey?.publicKey).toEqual(aliceIdentity.publicKey);
    expect(first.senderKey?.publicKeyText).toBe(encodePublicKey(aliceIdentity.publicKey));
    // Each message gets its own copy, so a receiver that changes one cannot change the next.
    first.senderKey?.publicKey.fill(0);
    const second = messageOf(bob.receive('data/x', await alice.sealFor('bob', 'data/x', text('two')), undefined));
    expect(second.senderKey?.publicKey).toEqual(aliceIdentity.publicKey);
  });

  it('rejects revoked sender mid-session', async () => {
    const { alice, bob, revokeAlice } = await pair();
    expect(read(messageOf(bob.receive('data/x', await alice.sealFor('bob', 'data/x', text('before')), undefined)).plaintext)).toBe('before');
    // Sealed before the revocation, in the session that Bob already opened.
    const after = await alice.sealFor('bob', 'data/x', text('after'));
    revokeAlice();
    const error = errorOf(bob.receive('data/x', after, undefined));
    expect(error).toBeInstanceOf(KeyRevokedError);
  });

  it('rejects forgotten sender mid-session', async () => {
    const { alice, bob } = await pair();
    messageOf(bob.receive('data/x', await alice.sealFor('bob', 'data/x', text('before')), undefined));
    const after = await alice.sealFor('bob', 'data/x', text('after'));
    expect(bob.directory.forget('alice')).toBe(true);
    expect(errorOf(bob.receive('data/x', after, undefined))).toBeInstanceOf(UnknownSenderError);
  });

  it('retired sender key ends with grace', async () => {
    const { alice, bob, clock, aliceIdentity, sides, deliver } = await pair();
    // Envelopes from Alice's first key, in one session, as messages in flight during her rotation.
    const oldKey = new EnvelopeSealer({ identity: aliceIdentity });
    const seal = (value: string) => oldKey.seal('data/x', text(value), bob.local.identity.publicKey);
    expect(messageOf(bob.receive('data/x', seal('current'), undefined)).senderKey?.keyId).toBe(keyIdHex(aliceIdentity.publicKey));
    await alice.rotate(deviceIdentity('alice 2'));
    deliver(bob, sides.alice.published.slice(-1));
    expect(bob.directory.peer('alice').keyId).toBe(keyIdHex(deviceIdentity('alice 2').publicKey));
    const retired = messageOf(bob.receive('data/x', seal('in grace'), undefined));
    expect(read(retired.plaintext)).toBe('in grace');
    expect(retired.senderKey?.publicKey).toEqual(aliceIdentity.publicKey);
    clock.advance(GRACE_MS);
    expect(errorOf(bob.receive('data/x', seal('after grace'), undefined))).toBeInstanceOf(KeyExpiredError);
  });

  it('rejects sender after validity', async () => {
    const { alice, bob, clock } = await pair();
    messageOf(bob.receive('data/x', await alice.sealFor('bob', 'data/x', text('before')), undefined));
    const after = await alice.sealFor('bob', 'data/x', text('after'));
    clock.advance(alice.local.validityMs);
    expect(errorOf(bob.receive('data/x', after, undefined))).toBeInstanceOf(KeyExpiredError);
  });

  it('skipped envelope names its keys', async () => {
    const { alice, bob, carol, aliceIdentity } = await pair();
    const outcome = carol.receive('data/x', await alice.sealFor('bob', 'data/x', text('for bob')), undefined);
    expect(outcome.kind).toBe('skipped');
    if (outcome.kind !== 'skipped') return;
    expect(outcome.keyIds?.recipientKeyId).toBe(bob.local.keyId);
    expect(outcome.keyIds?.senderKeyId).toBe(keyIdHex(aliceIdentity.publicKey));
  });
});

describe('group sender checks', () => {
  it('carries the current key', async () => {
    const { bob, aliceIdentity, group } = await pair();
    const { publisher, first } = await group();
    const opened = messageOf(bob.receive('data/1', first, undefined));
    expect(opened.senderKey?.keyId).toBe(keyIdHex(aliceIdentity.publicKey));
    expect(opened.senderKey?.publicKeyText).toBe(encodePublicKey(aliceIdentity.publicKey));
    opened.senderKey?.publicKey.fill(0);
    const next = messageOf(bob.receive('data/1', await publisher.seal('data/1', text('next')), undefined));
    expect(next.senderKey?.publicKey).toEqual(aliceIdentity.publicKey);
  });

  it('rejects revoked sender mid-epoch', async () => {
    const { bob, revokeAlice, group } = await pair();
    const { publisher, first } = await group();
    expect(read(messageOf(bob.receive('data/1', first, undefined)).plaintext)).toBe('first');
    const after = await publisher.seal('data/1', text('after'));
    revokeAlice();
    expect(errorOf(bob.receive('data/1', after, undefined))).toBeInstanceOf(KeyRevokedError);
  });

  it('expired sender has no key', async () => {
    const { alice, bob, clock, group } = await pair();
    const { publisher, first } = await group();
    expect(messageOf(bob.receive('data/1', first, undefined)).senderKey).toBeDefined();
    const after = await publisher.seal('data/1', text('after'));
    clock.advance(alice.local.validityMs);
    const late = messageOf(bob.receive('data/1', after, undefined));
    expect(late.sender).toBe('alice');
    expect(late.senderKey).toBeUndefined();
  });
});

describe('own key checks', () => {
  it('expired id wins over current', () => {
    const clock = manualClock();
    const alice = deviceIdentity('alice');
    const keys = new LocalKeys({ prefix: PREFIX, clientId: 'alice', identity: alice, now: clock.now, graceMs: GRACE_MS });
    const bob = deviceIdentity('bob');
    const sealer = new EnvelopeSealer({ identity: bob });
    const resolve = () => [bob.publicKey];
    expect(read(keys.open('t', sealer.seal('t', text('current'), alice.publicKey), resolve).plaintext)).toBe('current');
    keys.rotate(deviceIdentity('alice 2'));
    clock.advance(GRACE_MS);
    // Rotating back to the first key, whose id is now recorded as expired: envelopes to it stay expired.
    keys.rotate(alice);
    expect(keys.addressedToCurrentKey(sealer.seal('t', text('x'), alice.publicKey))).toBe(false);
    expect(() => keys.open('t', sealer.seal('t', text('again'), alice.publicKey), resolve)).toThrow(KeyExpiredError);
  });

  it('names the current key only', () => {
    const alice = deviceIdentity('alice');
    const keys = new LocalKeys({ prefix: PREFIX, clientId: 'alice', identity: alice });
    const sealer = new EnvelopeSealer({ identity: deviceIdentity('bob') });
    expect(keys.addressedToCurrentKey(sealer.seal('t', text('x'), alice.publicKey))).toBe(true);
    expect(keys.addressedToCurrentKey(sealer.seal('t', text('x'), deviceIdentity('carol').publicKey))).toBe(false);
    expect(keys.addressedToCurrentKey(new Uint8Array(19))).toBe(false);
  });
});
