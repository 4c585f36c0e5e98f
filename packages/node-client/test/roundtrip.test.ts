import { randomBytes } from 'node:crypto';
import { generateKeyPair, keyIdHex, type KeyPair } from '@mqtt-e2ee/envelope';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectE2ee, type E2eeClient } from '../src/index.js';
import {
  aedesSetup,
  connectRaw,
  containsBytes,
  Inbox,
  nextRawMessage,
  realMosquittoSetup,
  uniquePrefix,
  type BrokerUnderTest,
} from './helpers.js';

const brokers = [aedesSetup, await realMosquittoSetup()];

describe.each(brokers)('$name', (setup) => {
  const run = setup.skipReason === undefined ? describe : describe.skip;
  run(setup.skipReason === undefined ? 'round trips' : `skipped: ${setup.skipReason}`, () => {
    let broker: BrokerUnderTest;
    const alice = generateKeyPair();
    const bob = generateKeyPair();
    const carol = generateKeyPair();
    let aliceClient: E2eeClient;
    let bobClient: E2eeClient;
    let bobInbox: Inbox;
    let raw: MqttClient;
    let spy: MqttClient;
    const spied: Array<{ topic: string; payload: Buffer }> = [];
    const prefix = uniquePrefix('roundtrip');

    const connectAs = (identity: KeyPair, peers: KeyPair[]): Promise<E2eeClient> =>
      connectE2ee(broker.url, {
        identity,
        peers: peers.map((peer) => peer.publicKey),
        mqtt: { protocolVersion: broker.mqtt5 ? 5 : 4, reconnectPeriod: 0 },
      });

    beforeAll(async () => {
      broker = await setup.start();
      aliceClient = await connectAs(alice, [bob]);
      bobClient = await connectAs(bob, [alice]);
      bobInbox = new Inbox(bobClient);
      await bobClient.subscribe(`${prefix}/bob/#`, { qos: 2 });
      raw = await connectRaw(broker.url);
      spy = await connectRaw(broker.url);
      spy.on('message', (topic, payload) => spied.push({ topic, payload: Buffer.from(payload) }));
      await spy.subscribeAsync('#', { qos: 2 });
    });

    afterAll(async () => {
      await Promise.allSettled([
        aliceClient?.end(),
        bobClient?.end(),
        raw?.endAsync(),
        spy?.endAsync(),
      ]);
      await broker?.stop();
    });

    it.each([0, 1, 2] as const)('QoS %i round trip', async (qos) => {
      const topic = `${prefix}/bob/qos${qos}`;
      const arrived = bobInbox.message(topic);
      await aliceClient.publish(topic, `hello at QoS ${qos}`, { to: bob.publicKey, qos });
      const message = await arrived;
      expect(Buffer.from(message.payload).toString('utf8')).toBe(`hello at QoS ${qos}`);
      expect(message.qos).toBe(qos);
      expect(message.retain).toBe(false);
      expect(message.sender.keyId).toBe(keyIdHex(alice.publicKey));
      expect(Buffer.from(message.sender.publicKey).equals(Buffer.from(alice.publicKey))).toBe(true);
      expect(message.sender.publicKeyText).toMatch(/^mqe2e-pk1-/);
      expect(typeof message.seq).toBe('bigint');
    });

    it('retained message reaches late subscriber', async () => {
      const topic = `${prefix}/retained`;
      await aliceClient.publish(topic, 'kept by the broker', {
        to: bob.publicKey,
        qos: 1,
        retain: true,
      });
      const late = await connectAs(bob, [alice]);
      try {
        const inbox = new Inbox(late);
        await late.subscribe(topic, { qos: 1 });
        const message = await inbox.message(topic);
        expect(Buffer.from(message.payload).toString('utf8')).toBe('kept by the broker');
        expect(message.retain).toBe(true);
      } finally {
        await late.end();
        await raw.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
      }
    });

    it('1 MiB binary payload intact', async () => {
      const topic = `${prefix}/bob/large`;
      const payload = randomBytes(1024 * 1024);
      const arrived = bobInbox.message(topic);
      await aliceClient.publish(topic, payload, { to: bob.publicKey, qos: 1 });
      const message = await arrived;
      expect(message.payload.length).toBe(payload.length);
      expect(Buffer.from(message.payload).equals(payload)).toBe(true);
    });

    it('all 256 byte values intact', async () => {
      const topic = `${prefix}/bob/bytes`;
      const payload = Uint8Array.from({ length: 256 }, (_, i) => i);
      const arrived = bobInbox.message(topic);
      await aliceClient.publish(topic, payload, { to: bob.publicKey, qos: 1 });
      expect(Array.from((await arrived).payload)).toEqual(Array.from(payload));
    });

    it('string payload as UTF-8', async () => {
      const topic = `${prefix}/bob/text`;
      const text = 'Grüße, 世界 🌍';
      const arrived = bobInbox.message(topic);
      await aliceClient.publish(topic, text, { to: bob.publicKey, qos: 1 });
      const message = await arrived;
      expect(Buffer.from(message.payload).equals(Buffer.from(text, 'utf8'))).toBe(true);
    });

    it('subarray payload sends visible bytes', async () => {
      const topic = `${prefix}/bob/view`;
      const backing = new Uint8Array(64).map((_, i) => 200 - i);
      const view = backing.subarray(10, 20);
      const arrived = bobInbox.message(topic);
      await aliceClient.publish(topic, view, { to: bob.publicKey, qos: 1 });
      expect(Array.from((await arrived).payload)).toEqual(Array.from(backing.slice(10, 20)));
    });

    it('MQTT 5 user properties arrive', async (context) => {
      if (!broker.mqtt5) context.skip(`${broker.name} speaks MQTT 3.1.1 only`);
      const topic = `${prefix}/bob/props`;
      const arrived = bobInbox.message(topic);
      await aliceClient.publish(topic, 'with properties', {
        to: bob.publicKey,
        qos: 1,
        properties: { userProperties: { trace: 'abc123' }, contentType: 'text/plain' },
      });
      const message = await arrived;
      expect(message.properties?.userProperties).toEqual({ trace: 'abc123' });
      expect(message.properties?.contentType).toBe('text/plain');
    });

    it('tampered envelope rejected, next accepted', async () => {
      const topic = `${prefix}/tamper`;
      await raw.subscribeAsync(topic, { qos: 1 });
      // Bob subscribes only after the envelope is captured, so he has not seen its sequence number.
      const original = await sealAndCapture(aliceClient, raw, topic, 'original bytes', bob);
      await bobClient.subscribe(topic, { qos: 1 });
      const tampered = Buffer.from(original);
      const index = tampered.length - 20;
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      const rejected = bobInbox.error(topic);
      await raw.publishAsync(topic, tampered, { qos: 1 });
      const error = await rejected;
      expect(error.code).toBe('ERR_DECRYPT');
      expect(error.topic).toBe(topic);
      // The untouched copy still opens, so the flipped bit alone caused the rejection.
      await raw.publishAsync(topic, original, { qos: 1 });
      await aliceClient.publish(topic, 'after tampering', { to: bob.publicKey, qos: 1 });
      await expect.poll(() => textsOn(bobInbox, topic).length).toBe(2);
      expect(textsOn(bobInbox, topic).sort()).toEqual(['after tampering', 'original bytes']);
      expect(bobInbox.errors.filter((e) => e.topic === topic)).toHaveLength(1);
      expect(bobClient.mqtt.connected).toBe(true);
    });

    it('envelope moved to another topic rejected', async () => {
      const source = `${prefix}/capture/moved`;
      const target = `${prefix}/bob/moved`;
      await raw.subscribeAsync(source, { qos: 1 });
      const envelope = await sealAndCapture(aliceClient, raw, source, 'sealed for source', bob);
      const rejected = bobInbox.error(target);
      await raw.publishAsync(target, envelope, { qos: 1 });
      const error = await rejected;
      expect(error.code).toBe('ERR_DECRYPT');
      expect(error.topic).toBe(target);
      expect(textsOn(bobInbox, target)).toEqual([]);
    });

    it('republished envelope counted as duplicate', async () => {
      const topic = `${prefix}/bob/replay`;
      await raw.subscribeAsync(topic, { qos: 1 });
      const captured = nextRawMessage(raw, topic);
      await aliceClient.publish(topic, 'once', { to: bob.publicKey, qos: 1 });
      const delivered = await bobInbox.message(topic);
      const before = bobClient.stats;
      const dropped = bobInbox.duplicate(topic);
      await raw.publishAsync(topic, await captured, { qos: 1 });
      // An exact copy of an accepted envelope is a duplicate (spec/envelope-v1.md section 11.2),
      // dropped without a decrypt-error.
      const duplicate = await dropped;
      expect(duplicate.seq).toBe(delivered.seq);
      expect(duplicate.senderKeyId).toBe(keyIdHex(alice.publicKey));
      expect(duplicate.sessionId).toMatch(/^[0-9a-f]{16}$/);
      expect(Object.keys(duplicate)).not.toContain('payload');
      expect(bobClient.stats.duplicates).toBe(before.duplicates + 1);
      expect(bobClient.stats.rejected).toBe(before.rejected);
      expect(bobInbox.errors.filter((e) => e.topic === topic)).toEqual([]);
      expect(bobInbox.messages.filter((m) => m.topic === topic)).toHaveLength(1);
    });

    it('plaintext publish is a decrypt-error', async () => {
      const topic = `${prefix}/bob/plain`;
      const rejected = bobInbox.error(topic);
      await raw.publishAsync(topic, '{"temperature": 21.5}', { qos: 1 });
      const error = await rejected;
      expect(error.code).toBe('ERR_ENVELOPE_FORMAT');
      expect(error.message).not.toContain('temperature');
      expect(bobInbox.messages.some((m) => m.topic === topic)).toBe(false);
    });

    it('envelope for another key skipped', async () => {
      const topic = `${prefix}/bob/carol`;
      const skipped = bobInbox.skip(topic);
      await aliceClient.publish(topic, 'for carol only', { to: carol.publicKey, qos: 1 });
      const entry = await skipped;
      expect(entry.recipientKeyId).toBe(keyIdHex(carol.publicKey));
      expect(entry.senderKeyId).toBe(keyIdHex(alice.publicKey));
      expect(bobInbox.messages.some((m) => m.topic === topic)).toBe(false);
      expect(bobInbox.errors.some((e) => e.topic === topic)).toBe(false);
    });

    it('third party never sees plaintext', async () => {
      const marker = randomBytes(32);
      const topic = `${prefix}/bob/secret`;
      const arrived = bobInbox.message(topic);
      for (const qos of [0, 1, 2] as const) {
        await aliceClient.publish(topic, marker, { to: [bob.publicKey, carol.publicKey], qos });
      }
      expect(Buffer.from((await arrived).payload).equals(marker)).toBe(true);
      // Three publishes to two recipients are six envelopes on the topic.
      await expect.poll(() => spied.filter((m) => m.topic === topic).length).toBe(6);
      expect(spied.some((m) => containsBytes(m.payload, marker))).toBe(false);
    });
  });
});

/** Publishes an envelope to `topic` and returns its bytes as the raw client received them. */
async function sealAndCapture(
  sender: E2eeClient,
  raw: MqttClient,
  topic: string,
  text: string,
  recipient: KeyPair,
): Promise<Buffer> {
  const captured = nextRawMessage(raw, topic);
  await sender.publish(topic, text, { to: recipient.publicKey, qos: 1 });
  return captured;
}

function textsOn(inbox: Inbox, topic: string): string[] {
  return inbox.messages
    .filter((m) => m.topic === topic)
    .map((m) => Buffer.from(m.payload).toString('utf8'));
}
