/**
 * mapOutcome: the conversion of KeyExchange outcomes to client events. It reads the sender's key
 * from the outcome and the `from` filters from the registry, and looks nothing up itself.
 */
import { generateKeyPair, keyIdHex } from '@mqtt-e2ee/envelope';
import { encodePublicKey, type ReceiveOutcome, type ReceivedMessage } from '@mqtt-e2ee/key-exchange';
import type { IPublishPacket } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { mapOutcome } from '../src/core/kx.js';
import { SubscriptionRegistry } from '../src/core/subscriptions.js';
import { SenderNotAllowedError } from '../src/core/errors.js';

const sender = generateKeyPair();
const other = generateKeyPair();
const packet = { cmd: 'publish', topic: 'data/x', payload: Buffer.alloc(0), qos: 1, retain: true, dup: false } as IPublishPacket;

function received(extra: Partial<ReceivedMessage>): ReceiveOutcome<IPublishPacket> {
  const message: ReceivedMessage = {
    topic: 'data/x',
    plaintext: new Uint8Array([1, 2, 3]),
    kind: 'direct',
    sender: 'alice',
    senderKeyId: keyIdHex(sender.publicKey),
    senderKey: { keyId: keyIdHex(sender.publicKey), publicKey: sender.publicKey.slice(), publicKeyText: encodePublicKey(sender.publicKey) },
    groupId: undefined,
    seq: 7n,
    signed: false,
    ...extra,
  };
  return { kind: 'message', message, meta: packet };
}

function registry(from?: Uint8Array): SubscriptionRegistry {
  const subscriptions = new SubscriptionRegistry();
  subscriptions.add(['data/#'], from === undefined ? 'any-peer' : new Map([[keyIdHex(from), [from]]]));
  return subscriptions;
}

describe('key exchange outcome mapping', () => {
  it('copies sender key fields', () => {
    const outcome = mapOutcome(received({}), 'data/x', registry());
    expect(outcome.kind).toBe('message');
    if (outcome.kind !== 'message') return;
    expect(outcome.message.sender.keyId).toBe(keyIdHex(sender.publicKey));
    expect(outcome.message.sender.publicKey).toEqual(sender.publicKey);
    expect(outcome.message.sender.publicKeyText).toBe(encodePublicKey(sender.publicKey));
    expect(outcome.message.sender.clientId).toBe('alice');
    expect(outcome.message.seq).toBe(7n);
    expect(outcome.message.retain).toBe(true);
    expect(outcome.message.group).toBeUndefined();
  });

  it('applies from filters', () => {
    expect(mapOutcome(received({}), 'data/x', registry(sender.publicKey)).kind).toBe('message');
    const rejected = mapOutcome(received({}), 'data/x', registry(other.publicKey));
    expect(rejected.kind).toBe('error');
    if (rejected.kind !== 'error') return;
    expect(rejected.error).toBeInstanceOf(SenderNotAllowedError);
    expect(rejected.error.topic).toBe('data/x');
  });

  it('group without key', () => {
    const outcome = received({ kind: 'group', senderKeyId: undefined, senderKey: undefined, groupId: 'plant' });
    const delivered = mapOutcome(outcome, 'data/x', registry());
    expect(delivered.kind).toBe('message');
    if (delivered.kind === 'message') {
      expect(delivered.message.group).toBe('plant');
      expect(delivered.message.sender.keyId).toBe('');
      expect(delivered.message.sender.publicKey).toHaveLength(0);
    }
    // A sender without a key cannot match a `from` list.
    expect(mapOutcome(outcome, 'data/x', registry(sender.publicKey)).kind).toBe('error');
  });

  it('passes skipped key ids', () => {
    const keyIds = { recipientKeyId: keyIdHex(other.publicKey), senderKeyId: keyIdHex(sender.publicKey) };
    const outcome = mapOutcome({ kind: 'skipped', reason: 'other recipient', keyIds }, 'data/x', registry());
    expect(outcome).toEqual({ kind: 'skipped', skipped: { topic: 'data/x', ...keyIds } });
    const empty = mapOutcome({ kind: 'skipped', reason: 'empty payload' }, 'data/x', registry());
    expect(empty).toEqual({ kind: 'skipped', skipped: { topic: 'data/x', recipientKeyId: '', senderKeyId: '' } });
  });
});
