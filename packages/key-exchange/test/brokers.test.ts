/**
 * Key exchange through real brokers: the machine's Mosquitto on 127.0.0.1:1883 (MQTT 5) and a
 * NATS server with its MQTT listener started by the test (MQTT 3.1.1, QoS 0 and 1).
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsAvailable, reachable, realMosquittoUrl, startNats, type RunningNats } from '@mqtt-e2ee/testkit';
import {
  KeyRecordError,
  KeyRevokedError,
  createAnnouncement,
  encodeAnnouncement,
  encodeAnchorPublicKey,
  encodeRevocation,
  endorseKey,
  generateAnchor,
  generateDeviceIdentity,
  keyIdHex,
  revocationTopic,
  revokeKey,
  type DeviceIdentity,
  type SigningKeyPair,
} from '../src/index.js';
import { connectKx, uniqueName, type KxClient } from './kx-client.js';

const mosquittoUp = await reachable(realMosquittoUrl);
const requireMosquitto = process.env['REQUIRE_MOSQUITTO'] === '1';
const text = (value: string) => new TextEncoder().encode(value);
const read = (value: Uint8Array) => new TextDecoder().decode(value);

interface BrokerCase {
  readonly name: string;
  readonly available: boolean;
  readonly protocolVersion: 4 | 5;
  url(): string;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

let nats: RunningNats | undefined;
const brokers: BrokerCase[] = [
  { name: 'Mosquitto', available: mosquittoUp || requireMosquitto, protocolVersion: 5, url: () => realMosquittoUrl },
  {
    name: 'NATS',
    available: natsAvailable() || process.env['CI'] === 'true',
    protocolVersion: 4,
    url: () => nats?.url ?? '',
    start: async () => {
      nats = await startNats();
    },
    stop: async () => {
      await nats?.stop();
    },
  },
];

for (const broker of brokers) {
  describe.skipIf(!broker.available)(`key exchange through ${broker.name}`, () => {
    const prefix = `${uniqueName('kxtest')}/v1`;
    const data = uniqueName('data');
    const anchor: SigningKeyPair = generateAnchor();
    const anchors = [encodeAnchorPublicKey(anchor.publicKey)];
    const identities = new Map<string, DeviceIdentity>();
    const clients: KxClient[] = [];

    /** Connects a client that knows only the anchor's public key and its own endorsed key. */
    async function join(clientId: string, options: { graceMs?: number; now?: () => number } = {}): Promise<KxClient> {
      const identity = identities.get(clientId) ?? generateDeviceIdentity();
      identities.set(clientId, identity);
      const endorsement = endorseKey(anchor, { prefix, clientId, device: identity, validFrom: Date.now() - 1000, validUntil: Date.now() + 3_600_000 });
      const client = await connectKx(broker.url(), {
        clientId,
        identity,
        policy: 'anchor',
        prefix,
        anchors,
        endorsements: [endorsement],
        ...options,
        mqtt: { protocolVersion: broker.protocolVersion },
      });
      await client.mqtt.subscribeAsync(`${data}/#`, { qos: 1 });
      clients.push(client);
      return client;
    }

    async function raw() {
      const client = await mqtt.connectAsync(broker.url(), { protocolVersion: broker.protocolVersion, reconnectPeriod: 0 });
      clients.push({ end: () => client.endAsync() } as KxClient);
      return client;
    }

    beforeAll(async () => {
      await broker.start?.();
    }, 60_000);

    afterAll(async () => {
      await Promise.allSettled(clients.map((client) => client.end()));
      // Retained records of this run are deleted so the shared broker does not keep them.
      const cleaner = await mqtt.connectAsync(broker.url(), { protocolVersion: broker.protocolVersion, reconnectPeriod: 0 }).catch(() => undefined);
      if (cleaner !== undefined) {
        const topics = [...identities.keys()].map((id) => `${prefix}/keys/${id}`);
        await Promise.allSettled(topics.map((topic) => cleaner.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true })));
        await cleaner.endAsync();
      }
      await broker.stop?.();
    }, 30_000);

    it('three clients exchange direct and group messages', async () => {
      const alice = await join('alice');
      const bob = await join('bob');
      const carol = await join('carol');
      await bob.until(() => (bob.kx.directory.has('alice') ? true : undefined), 'alice announcement at bob');

      const topic = `${data}/direct`;
      await alice.mqtt.publishAsync(topic, Buffer.from(await alice.kx.sealFor('bob', topic, text('hello bob'))), { qos: 1 });
      const direct = await bob.until(() => bob.messages.find((m) => m.topic === topic), 'direct message at bob');
      expect(read(direct.plaintext)).toBe('hello bob');
      expect(direct.sender).toBe('alice');
      expect(direct.kind).toBe('direct');

      const group = alice.kx.group({ groupId: 'plant', topics: [`${data}/group/#`], members: ['bob', 'carol'] });
      const groupTopic = `${data}/group/temp`;
      await alice.mqtt.publishAsync(groupTopic, Buffer.from(await group.seal(groupTopic, text('21.5'))), { qos: 1 });
      for (const member of [bob, carol]) {
        const message = await member.until(() => member.messages.find((m) => m.topic === groupTopic), `group message at ${member.kx.clientId}`);
        expect(read(message.plaintext)).toBe('21.5');
        expect(message.kind).toBe('group');
        expect(message.sender).toBe('alice');
      }
      expect(carol.messages.some((m) => m.topic === topic)).toBe(false);
    });

    it('refuses key forged by raw client', async () => {
      const alice = clients[0] as KxClient;
      const mallory = generateDeviceIdentity();
      const forged = createAnnouncement({ identity: mallory, prefix, clientId: 'bob', seq: Date.now() * 2, validFrom: Date.now(), validUntil: Date.now() + 60_000 });
      const injector = await raw();
      await injector.publishAsync(`${prefix}/keys/bob`, Buffer.from(encodeAnnouncement(forged)), { qos: 1, retain: true });
      const event = await alice.until(() => alice.keyEvents.find((e) => e.type === 'rejected' && e.clientId === 'bob'), 'rejection of forged key');
      expect(event.error).toBeInstanceOf(KeyRecordError);
      expect((event.error as KeyRecordError).reason).toBe('endorsement');
      expect(alice.kx.directory.peer('bob').encryptionKey).toEqual(identities.get('bob')?.publicKey);
      // A client that starts now receives only the forged record and rejects it at discovery time.
      const dave = await join('dave');
      await expect(dave.kx.peer('bob', 5000)).rejects.toThrow(KeyRecordError);
      // Bob announces again, which replaces the forged retained record.
      await (clients[1] as KxClient).kx.announce();
      await dave.until(() => (dave.kx.directory.has('bob') ? true : undefined), 'genuine announcement at dave');
      expect((await dave.kx.peer('bob')).encryptionKey).toEqual(identities.get('bob')?.publicKey);
    });

    it('rotation keeps messages in flight', async () => {
      const [alice, bob] = clients as [KxClient, KxClient];
      const topic = `${data}/rotation`;
      const inFlight = await alice.kx.sealFor('bob', topic, text('sealed before rotation'));
      const oldKeyId = bob.kx.local.keyId;
      await bob.kx.rotate();
      await alice.until(() => (alice.kx.directory.peer('bob').keyId !== oldKeyId ? true : undefined), 'rotated key at alice');
      await alice.mqtt.publishAsync(topic, Buffer.from(inFlight), { qos: 1 });
      const late = await bob.until(() => bob.messages.find((m) => m.topic === topic), 'in-flight message at bob');
      expect(read(late.plaintext)).toBe('sealed before rotation');
      const afterTopic = `${data}/rotation-after`;
      await alice.mqtt.publishAsync(afterTopic, Buffer.from(await alice.kx.sealFor('bob', afterTopic, text('new key'))), { qos: 1 });
      const fresh = await bob.until(() => bob.messages.find((m) => m.topic === afterTopic), 'message to new key');
      expect(read(fresh.plaintext)).toBe('new key');
    });

    it('two rotations within a second', async () => {
      const [alice, bob] = clients as [KxClient, KxClient];
      const topic = `${data}/double-rotation`;
      const inFlight = await alice.kx.sealFor('bob', topic, text('before both rotations'));
      await bob.kx.rotate();
      const final = await bob.kx.rotate();
      await alice.until(() => (alice.kx.directory.peer('bob').seq === final.seq ? true : undefined), 'second rotation at alice');
      await alice.mqtt.publishAsync(topic, Buffer.from(inFlight), { qos: 1 });
      expect(read((await bob.until(() => bob.messages.find((m) => m.topic === topic), 'in-flight message')).plaintext)).toBe('before both rotations');
      const next = `${data}/double-rotation-after`;
      await alice.mqtt.publishAsync(next, Buffer.from(await alice.kx.sealFor('bob', next, text('newest key'))), { qos: 1 });
      expect(read((await bob.until(() => bob.messages.find((m) => m.topic === next), 'message to newest key')).plaintext)).toBe('newest key');
    });

    it('expired key after grace', async () => {
      const alice = clients[0] as KxClient;
      // With a grace period of zero, a retired key expires at once.
      const gina = await join('gina', { graceMs: 0 });
      await alice.until(() => (alice.kx.directory.has('gina') ? true : undefined), 'gina announcement');
      const topic = `${data}/expired`;
      const stale = await alice.kx.sealFor('gina', topic, text('too late'));
      await gina.kx.rotate();
      await alice.mqtt.publishAsync(topic, Buffer.from(stale), { qos: 1 });
      const error = await gina.until(() => gina.errors.find((e) => e.code === 'ERR_KEY_EXPIRED'), 'expired key error');
      expect(error.message).toMatch(/retired key/);
      expect(gina.messages.some((m) => m.topic === topic)).toBe(false);
    });

    it('revoked key is refused', async () => {
      const [alice, , carol] = clients as [KxClient, KxClient, KxClient];
      const carolIdentity = identities.get('carol') as DeviceIdentity;
      const revocation = revokeKey(anchor, { prefix, clientId: 'carol', device: carolIdentity, revokedAt: Date.now(), reason: 'test' });
      const publisher = await raw();
      await publisher.publishAsync(revocationTopic(prefix, 'carol', keyIdHex(carolIdentity)), Buffer.from(encodeRevocation(revocation)), { qos: 1, retain: true });
      await alice.until(() => (alice.kx.directory.isRevoked(carolIdentity.publicKey) ? true : undefined), 'revocation at alice');
      await expect(alice.kx.sealFor('carol', `${data}/x`, text('x'))).rejects.toThrow(KeyRevokedError);
      const topic = `${data}/from-carol`;
      await carol.mqtt.publishAsync(topic, Buffer.from(carol.kx.sealTo(alice.kx.local.identity.publicKey, topic, text('from revoked'))), { qos: 1 });
      const error = await alice.until(() => alice.errors.find((e) => e.code === 'ERR_KEY_REVOKED'), 'revoked sender error');
      expect(error).toBeInstanceOf(KeyRevokedError);
      expect(alice.messages.some((m) => m.topic === topic)).toBe(false);
      await publisher.publishAsync(revocationTopic(prefix, 'carol', keyIdHex(carolIdentity)), Buffer.alloc(0), { qos: 1, retain: true });
    });

    it('removed member reads nothing new', async () => {
      const [alice, bob] = clients as [KxClient, KxClient];
      const erin = await join('erin');
      await alice.until(() => (alice.kx.directory.has('erin') ? true : undefined), 'erin announcement');
      const group = alice.kx.group({ groupId: 'removal', topics: [`${data}/removal/#`], members: ['bob', 'erin'] });
      const first = `${data}/removal/1`;
      await alice.mqtt.publishAsync(first, Buffer.from(await group.seal(first, text('both'))), { qos: 1 });
      await erin.until(() => erin.messages.find((m) => m.topic === first), 'first group message at erin');
      await group.removeMember('erin');
      const second = `${data}/removal/2`;
      await alice.mqtt.publishAsync(second, Buffer.from(await group.seal(second, text('bob only'))), { qos: 1 });
      const atBob = await bob.until(() => bob.messages.find((m) => m.topic === second), 'second message at bob');
      expect(read(atBob.plaintext)).toBe('bob only');
      // Erin received the envelope (it subscribes to the data topics) but has no key for its epoch.
      const epochId = group.sender.currentEpochId();
      await alice.mqtt.publishAsync(`${data}/removal/3`, Buffer.from(await group.seal(`${data}/removal/3`, text('still bob only'))), { qos: 1 });
      await bob.until(() => bob.messages.find((m) => m.topic === `${data}/removal/3`), 'third message at bob');
      expect(erin.kx.groups.hasEpoch(epochId)).toBe(false);
      expect(erin.messages.filter((m) => m.topic.startsWith(`${data}/removal/`)).map((m) => read(m.plaintext))).toEqual(['both']);
    });

    it('late joiner reads retained value', async () => {
      const alice = clients[0] as KxClient;
      const frank = generateDeviceIdentity();
      identities.set('frank', frank);
      // Frank announced once earlier and is offline when the retained value is published.
      const early = await join('frank');
      await alice.until(() => (alice.kx.directory.has('frank') ? true : undefined), 'frank announcement');
      await early.end();
      const group = alice.kx.group({ groupId: 'late', topics: [`${data}/late/#`], members: ['frank'] });
      const topic = `${data}/late/setpoint`;
      await alice.mqtt.publishAsync(topic, Buffer.from(await group.seal(topic, text('42'))), { qos: 1, retain: true });
      const late = await join('frank');
      const message = await late.until(() => late.messages.find((m) => m.topic === topic), 'retained value at late joiner');
      expect(read(message.plaintext)).toBe('42');
      expect(message.kind).toBe('group');
      await alice.mqtt.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
    });
  });
}
