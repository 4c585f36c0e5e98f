/**
 * connectE2ee with key exchange through Mosquitto (127.0.0.1:1883, MQTT 5) and NATS (its MQTT
 * listener, started here, MQTT 3.1.1): three clients that share only an anchor's public key find
 * each other and exchange direct and group messages.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KeyRecordError,
  createAnnouncement,
  encodeAnchorPublicKey,
  encodeAnnouncement,
  encodeEndorsement,
  encodeRevocation,
  endorseKey,
  generateAnchor,
  generateDeviceIdentity,
  hasSigningKey,
  keyIdHex,
  publicKeyText,
  revocationTopic,
  revokeKey,
  type KeyEvent,
} from '@mqtt-e2ee/key-exchange';
import { loadOrCreateDeviceIdentity, readIdentityFile, readStateFile } from '@mqtt-e2ee/key-exchange/fs';
import { natsAvailable, startNats, type RunningNats } from '@mqtt-e2ee/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectE2ee, type E2eeClient } from '../src/index.js';
import { connectRaw, Inbox, realMosquittoSetup, settle, uniquePrefix } from './helpers.js';

const mosquitto = await realMosquittoSetup();
const text = (value: string) => new TextEncoder().encode(value);
const read = (value: Uint8Array) => new TextDecoder().decode(value);

interface Case {
  name: string;
  skip: boolean;
  protocolVersion: 4 | 5;
  start(): Promise<{ url: string; stop(): Promise<void> }>;
}

const cases: Case[] = [
  {
    name: 'Mosquitto',
    skip: mosquitto.skipReason !== undefined,
    protocolVersion: 5,
    start: async () => mosquitto.start(),
  },
  {
    name: 'NATS',
    skip: !natsAvailable() && process.env['CI'] !== 'true',
    protocolVersion: 4,
    start: async () => {
      const nats: RunningNats = await startNats();
      return { url: nats.url, stop: () => nats.stop() };
    },
  },
];

for (const broker of cases) {
  describe.skipIf(broker.skip)(`connectE2ee key exchange through ${broker.name}`, () => {
    const prefix = `${uniquePrefix('kx').replaceAll('/', '-')}/v1`;
    const data = uniquePrefix('kx-data');
    const anchor = generateAnchor();
    let dir: string;
    let url: string;
    let stop: () => Promise<void>;
    const clients = new Map<string, E2eeClient>();
    let frankRevocation: string | undefined;
    const inboxes = new Map<string, Inbox>();

    /** Creates the key files and an anchor endorsement of `clientId` in the temp directory. */
    async function provision(clientId: string): Promise<void> {
      const identity = await loadOrCreateDeviceIdentity(join(dir, clientId));
      const endorsement = endorseKey(anchor, { prefix, clientId, device: identity, validFrom: Date.now() - 1000, validUntil: Date.now() + 3_600_000 });
      await writeFile(join(dir, `${clientId}.endorsement.json`), encodeEndorsement(endorsement));
    }

    async function open(clientId: string): Promise<E2eeClient> {
      const client = await connectE2ee(url, {
        identity: join(dir, `${clientId}.key`),
        keyExchange: {
          clientId,
          policy: 'anchor',
          prefix,
          anchors: [join(dir, 'anchor.pub')],
          endorsements: [join(dir, `${clientId}.endorsement.json`)],
        },
        mqtt: { protocolVersion: broker.protocolVersion, reconnectPeriod: 200 },
      });
      clients.set(clientId, client);
      inboxes.set(clientId, new Inbox(client));
      await client.subscribe(`${data}/#`, { qos: 1 });
      return client;
    }

    const inbox = (clientId: string): Inbox => inboxes.get(clientId) as Inbox;
    const client = (clientId: string): E2eeClient => clients.get(clientId) as E2eeClient;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'node-client-kx-'));
      await writeFile(join(dir, 'anchor.pub'), `${encodeAnchorPublicKey(anchor.publicKey)}\n`);
      for (const id of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) await provision(id);
      ({ url, stop } = await broker.start());
      for (const id of ['alice', 'bob', 'carol']) await open(id);
    }, 60_000);

    afterAll(async () => {
      await Promise.allSettled([...clients.values()].map((c) => c.end(true)));
      const cleaner = await connectRaw(url, { protocolVersion: broker.protocolVersion }).catch(() => undefined);
      for (const id of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
        await cleaner?.publishAsync(`${prefix}/keys/${id}`, Buffer.alloc(0), { qos: 1, retain: true });
      }
      if (frankRevocation !== undefined) await cleaner?.publishAsync(frankRevocation, Buffer.alloc(0), { qos: 1, retain: true });
      await cleaner?.endAsync();
      await stop?.();
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    }, 30_000);

    it('publishes to client id', async () => {
      const topic = `${data}/direct`;
      await client('alice').publish(topic, 'hello bob', { to: 'bob', qos: 1 });
      const message = await inbox('bob').message(topic);
      expect(read(message.payload)).toBe('hello bob');
      expect(message.sender.clientId).toBe('alice');
      expect(message.sender.keyId).toBe(client('alice').keyId);
      await settle(200);
      expect(inbox('carol').messages.some((m) => m.topic === topic)).toBe(false);
    });

    it('sends the bytes given at the call to a client id', async () => {
      const topic = `${data}/reused-buffer`;
      const bytes = new TextEncoder().encode('first bytes');
      const sent = client('alice').publish(topic, bytes, { to: 'bob', qos: 1 });
      // The caller reuses its buffer at once, while the key of 'bob' may still be looked up.
      bytes.fill(0x21);
      await sent;
      expect(read((await inbox('bob').message(topic)).payload)).toBe('first bytes');
    });

    it('publishes once to group', async () => {
      const group = client('alice').group({ groupId: 'plant', topics: [`${data}/plant/#`], members: ['bob', 'carol'] });
      const topic = `${data}/plant/temp`;
      await group.publish(topic, text('21.5'), { qos: 1 });
      for (const id of ['bob', 'carol']) {
        const message = await inbox(id).message(topic);
        expect(read(message.payload)).toBe('21.5');
        expect(message.group).toBe('plant');
        expect(message.sender.clientId).toBe('alice');
      }
    });

    it('refuses forged announcement', async () => {
      const events: KeyEvent[] = [];
      client('alice').on('key', (event) => events.push(event));
      const forged = createAnnouncement({ identity: generateDeviceIdentity(), prefix, clientId: 'carol', seq: Date.now() * 2, validFrom: Date.now(), validUntil: Date.now() + 60_000 });
      const raw = await connectRaw(url, { protocolVersion: broker.protocolVersion });
      await raw.publishAsync(`${prefix}/keys/carol`, Buffer.from(encodeAnnouncement(forged)), { qos: 1, retain: true });
      await raw.endAsync();
      for (let i = 0; i < 50 && !events.some((e) => e.clientId === 'carol'); i++) await settle(100);
      const rejection = events.find((e) => e.clientId === 'carol');
      expect(rejection?.type).toBe('rejected');
      expect(rejection?.error).toBeInstanceOf(KeyRecordError);
      // Messages still go to carol's genuine key, which only carol can open.
      const topic = `${data}/after-forgery`;
      await client('alice').publish(topic, 'still carol', { to: 'carol', qos: 1 });
      expect(read((await inbox('carol').message(topic)).payload)).toBe('still carol');
      // Carol announces again, replacing the forged retained record.
      await client('carol').keyExchange?.announce();
    });

    it('removed member reads nothing new', async () => {
      const group = client('alice').group({ groupId: 'removal', topics: [`${data}/removal/#`], members: ['bob', 'carol'] });
      const first = `${data}/removal/1`;
      await group.publish(first, text('both'), { qos: 1 });
      await inbox('carol').message(first);
      await group.removeMember('carol');
      const second = `${data}/removal/2`;
      await group.publish(second, text('bob only'), { qos: 1 });
      expect(read((await inbox('bob').message(second)).payload)).toBe('bob only');
      await settle(300);
      expect(inbox('carol').messages.some((m) => m.topic === second)).toBe(false);
    });

    it('persists state beside identity', async () => {
      const state = await readStateFile(join(dir, 'alice.state.json'));
      expect(Object.keys(state?.directory?.peers ?? {}).sort()).toEqual(expect.arrayContaining(['bob', 'carol']));
      expect((await stat(join(dir, 'alice.state.json'))).mode & 0o777).toBe(0o600);
      expect(hasSigningKey(await readIdentityFile(join(dir, 'alice.key')))).toBe(true);
    });

    it('delivers reordered group message after restart', async () => {
      const base = uniquePrefix('kx-reorder');
      const group = client('alice').group({ groupId: 'reorder', topics: [`${base}/#`], members: ['bob'] });
      await client('bob').subscribe(`${base}/live/#`, { qos: 1 });
      // A raw client captures every envelope. Bob never subscribes to the held topic before his
      // restart, so seq 5 stays in flight while he accepts the seqs around it.
      const raw = await connectRaw(url, { protocolVersion: broker.protocolVersion });
      const captured = new Map<string, Buffer>();
      raw.on('message', (topic, payload) => captured.set(topic, Buffer.from(payload)));
      await raw.subscribeAsync(`${base}/#`, { qos: 1 });
      for (let index = 0; index < 10; index++) {
        const topic = index === 5 ? `${base}/held` : `${base}/live/${index}`;
        await group.publish(topic, text(`reading ${index}`), { qos: 1 });
      }
      await inbox('bob').message(`${base}/live/9`);
      for (let i = 0; i < 50 && captured.size < 10; i++) await settle(100);
      expect(captured.size).toBe(10);
      await client('bob').end();
      const bob = await open('bob');
      await bob.subscribe(`${base}/#`, { qos: 1 });
      await raw.publishAsync(`${base}/held`, captured.get(`${base}/held`) as Buffer, { qos: 1 });
      expect(read((await inbox('bob').message(`${base}/held`)).payload)).toBe('reading 5');
      // A second copy of the held message and a copy of one accepted before the restart are duplicates.
      await raw.publishAsync(`${base}/held`, captured.get(`${base}/held`) as Buffer, { qos: 1 });
      await raw.publishAsync(`${base}/live/3`, captured.get(`${base}/live/3`) as Buffer, { qos: 1 });
      await inbox('bob').duplicate(`${base}/held`);
      await inbox('bob').duplicate(`${base}/live/3`);
      expect(inbox('bob').messages.filter((m) => m.topic.startsWith(base)).map((m) => m.topic)).toEqual([`${base}/held`]);
      await raw.endAsync();
    });

    it('rotates key with new file', async () => {
      const before = client('bob').keyId;
      const announcement = await client('bob').rotateKey();
      expect(announcement.rotations).toHaveLength(1);
      const stored = await readIdentityFile(join(dir, 'bob.key'));
      expect(Buffer.from(stored.publicKey).equals(Buffer.from(announcement.encryptionKey))).toBe(true);
      for (let i = 0; i < 50 && (await client('alice').peer('bob')).keyId === before; i++) await settle(100);
      const topic = `${data}/rotated`;
      await client('alice').publish(topic, 'to new key', { to: 'bob', qos: 1 });
      expect(read((await inbox('bob').message(topic)).payload)).toBe('to new key');
      // Bob's own fields and his direct messages use the new key from now on.
      const newKeyId = keyIdHex(announcement.encryptionKey);
      expect(client('bob').keyId).toBe(newKeyId);
      expect(client('bob').publicKeyText).toBe(publicKeyText(announcement.encryptionKey));
      const reply = `${data}/rotated-reply`;
      await client('bob').publish(reply, 'from new key', { to: 'alice', qos: 1 });
      const received = await inbox('alice').message(reply);
      expect(read(received.payload)).toBe('from new key');
      expect(received.sender.keyId).toBe(newKeyId);
    });

    it('late joiner reads retained value', async () => {
      // Erin announces once, then goes offline before the retained value is published.
      const early = await open('erin');
      for (let i = 0; i < 50 && !client('alice').keyExchange?.directory.has('erin'); i++) await settle(100);
      await early.end();
      const group = client('alice').group({ groupId: 'late', topics: [`${data}/late/#`], members: ['bob', 'erin'] });
      const topic = `${data}/late/setpoint`;
      await group.publish(topic, text('42'), { qos: 1, retain: true });
      const erin = await open('erin');
      const message = await inbox('erin').message(topic);
      expect(read(message.payload)).toBe('42');
      expect(message.retain).toBe(true);
      expect(message.group).toBe('late');
      // A zero-length retained payload still deletes the value.
      await client('alice').clearRetained(topic, { qos: 1 });
      await inbox('erin').retainedDelete(topic);
      await erin.end();
    });

    it('revoked sender stops at once', async () => {
      const frank = await open('frank');
      for (let i = 0; i < 50 && !client('bob').keyExchange?.directory.has('frank'); i++) await settle(100);
      const group = frank.group({ groupId: 'frank', topics: [`${data}/frank/#`], members: ['bob'] });
      const direct = `${data}/frank/direct`;
      const grouped = `${data}/frank/group`;
      await frank.publish(direct, 'before', { to: 'bob', qos: 1 });
      await group.publish(grouped, text('before'), { qos: 1 });
      expect(read((await inbox('bob').message(direct)).payload)).toBe('before');
      expect(read((await inbox('bob').message(grouped)).payload)).toBe('before');
      // Bob has an open direct session and the epoch key of Frank's group when the anchor revokes Frank.
      const revoked = new Promise<void>((resolve) => {
        const listener = (event: KeyEvent): void => {
          if (event.type !== 'revoked' || event.clientId !== 'frank') return;
          client('bob').off('key', listener);
          resolve();
        };
        client('bob').on('key', listener);
      });
      // The key file exists since provision(), so this loads it.
      const identity = await loadOrCreateDeviceIdentity(join(dir, 'frank'));
      const revocation = revokeKey(anchor, { prefix, clientId: 'frank', device: identity, revokedAt: Date.now(), reason: 'test' });
      frankRevocation = revocationTopic(prefix, 'frank', keyIdHex(identity.publicKey));
      const raw = await connectRaw(url, { protocolVersion: broker.protocolVersion });
      await raw.publishAsync(frankRevocation, Buffer.from(encodeRevocation(revocation)), { qos: 1, retain: true });
      await raw.endAsync();
      await revoked;
      await frank.publish(`${direct}/after`, 'after', { to: 'bob', qos: 1 });
      await group.publish(`${grouped}/after`, text('after'), { qos: 1 });
      expect((await inbox('bob').error(`${direct}/after`)).code).toBe('ERR_KEY_REVOKED');
      expect((await inbox('bob').error(`${grouped}/after`)).code).toBe('ERR_KEY_REVOKED');
      expect(inbox('bob').messages.some((m) => m.topic.endsWith('/after'))).toBe(false);
      await frank.end();
    });

    it('re-reads keys after session loss', async () => {
      const alice = client('alice');
      // With the retained announcement gone, dave can find alice only if alice announces again.
      const raw = await connectRaw(url, { protocolVersion: broker.protocolVersion });
      await raw.publishAsync(`${prefix}/keys/alice`, Buffer.alloc(0), { qos: 1, retain: true });
      await raw.endAsync();
      const reconnected = new Promise<boolean>((resolve) => alice.once('connect', (connack) => resolve(connack.sessionPresent)));
      // Dropping the socket makes MQTT.js reconnect with a clean session.
      alice.mqtt.stream.destroy();
      expect(await reconnected).toBe(false);
      const dave = await open('dave');
      const topic = `${data}/after-reconnect`;
      await dave.publish(topic, 'hi alice', { to: 'alice', qos: 1 });
      const message = await inbox('alice').message(topic);
      expect(read(message.payload)).toBe('hi alice');
      expect(message.sender.clientId).toBe('dave');
    });
  });
}
