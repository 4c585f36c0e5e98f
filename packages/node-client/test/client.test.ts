import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, keyIdHex } from '@mqtt-e2ee/envelope';
import { nodeProvider } from '@mqtt-e2ee/envelope/node';
import { PeerDirectory, publicKeyText, secretKeyText } from '@mqtt-e2ee/key-exchange';
import { writeIdentityFiles } from '@mqtt-e2ee/key-exchange/fs';
import { freePort, startAedes, type RunningAedes } from '@mqtt-e2ee/testkit';
import type { MqttClient, Packet } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectError,
  connectE2ee,
  MessageTooLargeError,
  OptionFileError,
  PublishError,
  type ConnectE2eeOptions,
  type E2eeClient,
} from '../src/index.js';
import { connectRaw, Inbox, uniquePrefix } from './helpers.js';

const alice = generateKeyPair();
const bob = generateKeyPair();
const carol = generateKeyPair();

let broker: RunningAedes;
let raw: MqttClient;
let keyDir: string;
const opened: E2eeClient[] = [];

async function open(options: ConnectE2eeOptions): Promise<E2eeClient> {
  const client = await connectE2ee(broker.url, {
    ...options,
    mqtt: { reconnectPeriod: 0, ...options.mqtt },
  });
  opened.push(client);
  return client;
}

beforeAll(async () => {
  broker = await startAedes();
  raw = await connectRaw(broker.url);
  keyDir = await mkdtemp(join(tmpdir(), 'node-client-keys-'));
});

afterAll(async () => {
  await Promise.allSettled([...opened.map((client) => client.end(true)), raw?.endAsync()]);
  await broker?.stop();
  if (keyDir !== undefined) await rm(keyDir, { recursive: true, force: true });
});

describe('publish completion', () => {
  it.each([
    [0, 'publish', 'packetsend'],
    [1, 'puback', 'packetreceive'],
    [2, 'pubcomp', 'packetreceive'],
  ] as const)('QoS %i resolves after %s', async (qos, command, event) => {
    const client = await open({ identity: alice, peers: [bob.publicKey] });
    const seen: string[] = [];
    client.mqtt.on(event, (packet: Packet) => seen.push(packet.cmd));
    await client.publish(`${uniquePrefix('qos')}/t`, 'x', { to: bob.publicKey, qos });
    expect(seen).toContain(command);
  });

  it('publish after end rejects', async () => {
    const client = await open({ identity: alice });
    await client.end();
    const error = await client
      .publish('a/b', 'late', { to: bob.publicKey, qos: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).code).toBe('ERR_PUBLISH');
    expect((error as PublishError).cause).toBeInstanceOf(Error);
  });

  it('several recipients get one envelope each', async () => {
    const topic = `${uniquePrefix('multi')}/t`;
    const sender = await open({ identity: alice });
    const bobClient = await open({ identity: bob, peers: [alice.publicKey] });
    const carolClient = await open({ identity: carol, peers: [alice.publicKey] });
    const bobInbox = new Inbox(bobClient);
    const carolInbox = new Inbox(carolClient);
    await bobClient.subscribe(topic, { qos: 1 });
    await carolClient.subscribe(topic, { qos: 1 });
    await sender.publish(topic, 'to both', { to: [bob.publicKey, publicKeyText(carol)], qos: 1 });
    expect(Buffer.from((await bobInbox.message(topic)).payload).toString()).toBe('to both');
    expect(Buffer.from((await carolInbox.message(topic)).payload).toString()).toBe('to both');
    await expect.poll(() => bobInbox.skipped.length + carolInbox.skipped.length).toBe(2);
    expect(bobInbox.skipped[0]?.recipientKeyId).toBe(keyIdHex(carol.publicKey));
    expect(carolInbox.skipped[0]?.recipientKeyId).toBe(keyIdHex(bob.publicKey));
    expect(bobInbox.messages).toHaveLength(1);
    expect(carolInbox.messages).toHaveLength(1);
  });
});

describe('senders', () => {
  it('unknown sender is a decrypt-error', async () => {
    const topic = `${uniquePrefix('unknown')}/t`;
    const sender = await open({ identity: carol });
    const receiver = await open({ identity: bob, peers: [alice.publicKey] });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1 });
    await sender.publish(topic, 'from a stranger', { to: bob.publicKey, qos: 1 });
    const error = await inbox.error(topic);
    expect(error.code).toBe('ERR_UNKNOWN_SENDER');
    expect(inbox.messages).toHaveLength(0);
  });

  it('from filter rejects other peers', async () => {
    const topic = `${uniquePrefix('from')}/t`;
    const fromAlice = await open({ identity: alice });
    const fromCarol = await open({ identity: carol });
    const receiver = await open({ identity: bob, peers: [alice.publicKey, carol.publicKey] });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1, from: [publicKeyText(alice)] });
    await fromCarol.publish(topic, 'carol', { to: bob.publicKey, qos: 1 });
    const error = await inbox.error(topic);
    expect(error.code).toBe('ERR_SENDER_NOT_ALLOWED');
    expect(error.message).toContain(`Sender key id ${keyIdHex(carol.publicKey)} is not in the 'from' list`);
    await fromAlice.publish(topic, 'alice', { to: bob.publicKey, qos: 1 });
    const message = await inbox.message(topic);
    expect(message.sender.keyId).toBe(keyIdHex(alice.publicKey));
    expect(inbox.messages).toHaveLength(1);
  });

  it('from filter rejects unknown senders', async () => {
    const topic = `${uniquePrefix('from-unknown')}/t`;
    const fromCarol = await open({ identity: carol });
    // Carol is not in peers: the from check runs first and reports her, without calling her a peer.
    const receiver = await open({ identity: bob, peers: [alice.publicKey] });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1, from: [publicKeyText(alice)] });
    await fromCarol.publish(topic, 'carol', { to: bob.publicKey, qos: 1 });
    const error = await inbox.error(topic);
    expect(error.code).toBe('ERR_SENDER_NOT_ALLOWED');
    expect(error.message).toContain(keyIdHex(carol.publicKey));
    expect(error.message).not.toMatch(/known peer/);
    expect(error.message).toContain("Add the sender's public key to 'from'");
    expect(inbox.messages).toHaveLength(0);
  });

  it('resubscribe replaces from list', async () => {
    const topic = `${uniquePrefix('refrom')}/t`;
    const fromCarol = await open({ identity: carol });
    const receiver = await open({ identity: bob, peers: [alice.publicKey, carol.publicKey] });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1, from: [alice.publicKey] });
    await fromCarol.publish(topic, 'first', { to: bob.publicKey, qos: 1 });
    expect((await inbox.error(topic)).code).toBe('ERR_SENDER_NOT_ALLOWED');
    await receiver.subscribe(topic, { qos: 1, from: [carol.publicKey] });
    await fromCarol.publish(topic, 'second', { to: bob.publicKey, qos: 1 });
    expect(Buffer.from((await inbox.message(topic)).payload).toString()).toBe('second');
    expect(inbox.errors).toHaveLength(1);
  });

  it('PeerDirectory changes apply live', async () => {
    const topic = `${uniquePrefix('directory')}/t`;
    const peers = new PeerDirectory();
    const sender = await open({ identity: alice });
    const receiver = await open({ identity: bob, peers });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1 });
    await sender.publish(topic, 'before', { to: bob.publicKey, qos: 1 });
    expect((await inbox.error(topic)).code).toBe('ERR_UNKNOWN_SENDER');
    peers.addPeer(publicKeyText(alice), 'alice');
    await sender.publish(topic, 'after', { to: bob.publicKey, qos: 1 });
    expect(Buffer.from((await inbox.message(topic)).payload).toString()).toBe('after');
    // Removal applies to the session that is already open, too.
    peers.removePeer(alice.publicKey);
    await sender.publish(topic, 'removed', { to: bob.publicKey, qos: 1 });
    await expect.poll(() => inbox.errors.length).toBe(2);
    expect(inbox.errors[1]?.code).toBe('ERR_UNKNOWN_SENDER');
    expect(inbox.messages).toHaveLength(1);
  });
});

describe('crypto providers', () => {
  it('node:crypto provider interoperates with noble', async () => {
    const topic = `${uniquePrefix('provider')}/t`;
    const sender = await open({ identity: alice, provider: nodeProvider });
    const receiver = await open({ identity: bob, peers: [alice.publicKey] });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1 });
    await sender.publish(topic, 'sealed by node:crypto', { to: bob.publicKey, qos: 1 });
    const message = await inbox.message(topic);
    expect(Buffer.from(message.payload).toString()).toBe('sealed by node:crypto');
  });
});

describe('identity inputs', () => {
  it('secret key text identity', async () => {
    const client = await open({ identity: secretKeyText(alice) });
    expect(client.keyId).toBe(keyIdHex(alice.publicKey));
    expect(client.publicKeyText).toBe(publicKeyText(alice));
  });

  it('.key file identity', async () => {
    const files = await writeIdentityFiles(join(keyDir, 'alice'), { identity: alice });
    const client = await open({ identity: files.secretKeyPath });
    expect(client.keyId).toBe(keyIdHex(alice.publicKey));
  });

  it('missing .key file names path', async () => {
    const path = join(keyDir, 'nobody.key');
    const error = await connectE2ee(broker.url, { identity: path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionFileError);
    expect((error as OptionFileError).option).toBe('opts.identity');
    expect((error as OptionFileError).message).toContain(path);
  });
});

describe('incoming failures', () => {
  it('no listeners, no crash', async () => {
    const topic = `${uniquePrefix('quiet')}/t`;
    const sender = await open({ identity: alice });
    const receiver = await open({ identity: bob, peers: [alice.publicKey] });
    await receiver.subscribe(topic, { qos: 1 });
    await raw.publishAsync(topic, 'plain text', { qos: 1 });
    const arrived = new Promise<string>((resolve) => {
      receiver.once('message', (message) => resolve(Buffer.from(message.payload).toString()));
    });
    await sender.publish(topic, 'still here', { to: bob.publicKey, qos: 1 });
    expect(await arrived).toBe('still here');
    expect(receiver.mqtt.connected).toBe(true);
  });

  it('short binary payload rejected', async () => {
    const topic = `${uniquePrefix('short')}/t`;
    const receiver = await open({ identity: bob, peers: [alice.publicKey] });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1 });
    await raw.publishAsync(topic, Buffer.from([0x01, 0x01, 0x01]), { qos: 1 });
    expect((await inbox.error(topic)).code).toBe('ERR_ENVELOPE_FORMAT');
    expect(inbox.errors).toHaveLength(1);
  });

  it('oversized incoming message rejected', async () => {
    const topic = `${uniquePrefix('big-in')}/t`;
    const sender = await open({ identity: alice });
    const receiver = await open({ identity: bob, peers: [alice.publicKey], maxMessageBytes: 200 });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1 });
    await sender.publish(topic, new Uint8Array(500), { to: bob.publicKey, qos: 1 });
    const error = await inbox.error(topic);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error.code).toBe('ERR_MESSAGE_TOO_LARGE');
    expect((error as MessageTooLargeError).direction).toBe('incoming');
    expect((error as MessageTooLargeError).size).toBeGreaterThan(500);
    await sender.publish(topic, 'small', { to: bob.publicKey, qos: 1 });
    expect(Buffer.from((await inbox.message(topic)).payload).toString()).toBe('small');
  });
});

describe('payload types', () => {
  const backing = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);

  it.each([
    ['ArrayBuffer', () => backing.slice(8, 24).buffer, backing.slice(8, 24)],
    ['DataView at offset', () => new DataView(backing.buffer, 5, 16), backing.slice(5, 21)],
    ['Uint16Array at offset', () => new Uint16Array(backing.buffer, 6, 4), backing.slice(6, 14)],
    ['Blob', () => new Blob([backing.subarray(3, 9), backing.subarray(40, 42)]), Uint8Array.of(...backing.subarray(3, 9), ...backing.subarray(40, 42))],
  ] as const)('%s sends exact bytes', async (_name, make, expected) => {
    const topic = `${uniquePrefix('types')}/t`;
    const sender = await open({ identity: alice });
    const receiver = await open({ identity: bob, peers: [alice.publicKey] });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1 });
    await sender.publish(topic, make(), { to: bob.publicKey, qos: 1 });
    const message = await inbox.message(topic);
    expect(Array.from(message.payload)).toEqual(Array.from(expected));
  });
});

describe('retained deletes', () => {
  it('empty payload is retained-delete', async () => {
    const topic = `${uniquePrefix('empty')}/t`;
    const receiver = await open({ identity: bob, peers: [alice.publicKey] });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1 });
    await raw.publishAsync(topic, Buffer.alloc(0), { qos: 1 });
    const deleted = await inbox.retainedDelete(topic);
    expect(deleted.qos).toBe(1);
    expect(inbox.errors).toHaveLength(0);
    expect(inbox.messages).toHaveLength(0);
  });

  it('clearRetained removes retained envelope', async () => {
    const topic = `${uniquePrefix('clear')}/t`;
    const sender = await open({ identity: alice });
    await sender.publish(topic, 'kept', { to: bob.publicKey, qos: 1, retain: true });
    const live = await open({ identity: bob, peers: [alice.publicKey] });
    const liveInbox = new Inbox(live);
    await live.subscribe(topic, { qos: 1 });
    expect((await liveInbox.message(topic)).retain).toBe(true);
    await sender.clearRetained(topic, { qos: 1 });
    await liveInbox.retainedDelete(topic);
    const late = await open({ identity: bob, peers: [alice.publicKey] });
    const lateInbox = new Inbox(late);
    await late.subscribe(topic, { qos: 1 });
    // A marker sent after the subscribe arrives after any retained message would have.
    await sender.publish(topic, 'marker', { to: bob.publicKey, qos: 1 });
    await lateInbox.message(topic);
    expect(lateInbox.messages.map((m) => Buffer.from(m.payload).toString())).toEqual(['marker']);
  });
});

describe('outgoing size limits', () => {
  it('the largest MQTT packet is reported like maxMessageBytes', async () => {
    const client = await open({ identity: alice });
    // 76 bytes of envelope overhead make this one byte longer than the largest MQTT payload.
    const payload = new Uint8Array(268_435_455 - 75);
    const error = await client.publish('big/max', payload, { to: bob.publicKey }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as MessageTooLargeError).code).toBe('ERR_MESSAGE_TOO_LARGE');
    expect((error as MessageTooLargeError).size).toBe(268_435_456);
    expect((error as MessageTooLargeError).limit).toBe(268_435_455);
  });

  it('maxMessageBytes rejects before sending', async () => {
    const topic = `${uniquePrefix('big-out')}/t`;
    const client = await open({ identity: alice, maxMessageBytes: 100 });
    const sent: Packet[] = [];
    client.mqtt.on('packetsend', (packet: Packet) => sent.push(packet));
    const error = await client
      .publish(topic, new Uint8Array(100), { to: bob.publicKey, qos: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as MessageTooLargeError).direction).toBe('outgoing');
    expect((error as MessageTooLargeError).limit).toBe(100);
    expect(sent.filter((packet) => packet.cmd === 'publish')).toHaveLength(0);
  });

  it('broker Maximum Packet Size respected', async () => {
    const topic = `${uniquePrefix('broker-max')}/t`;
    const client = await open({ identity: alice });
    // Aedes speaks MQTT 3.1.1 only, so the CONNACK property of an MQTT 5 broker is injected.
    client.mqtt.emit('connect', {
      cmd: 'connack',
      sessionPresent: false,
      properties: { maximumPacketSize: 300 },
    });
    await client.publish(topic, new Uint8Array(100), { to: bob.publicKey, qos: 1 });
    const error = await client
      .publish(topic, new Uint8Array(300), { to: bob.publicKey, qos: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as MessageTooLargeError).limit).toBe(300);
    expect((error as MessageTooLargeError).message).toContain('Maximum Packet Size');
  });
});

describe('subscriptions and lifecycle', () => {
  it('unsubscribe stops delivery', async () => {
    const prefix = uniquePrefix('unsub');
    const sender = await open({ identity: alice });
    const receiver = await open({ identity: bob, peers: [alice.publicKey] });
    const inbox = new Inbox(receiver);
    const grants = await receiver.subscribe([`${prefix}/a`, `${prefix}/b`], { qos: 1 });
    expect(grants.map((grant) => [grant.topic, grant.qos])).toEqual([
      [`${prefix}/a`, 1],
      [`${prefix}/b`, 1],
    ]);
    await receiver.unsubscribe(`${prefix}/a`);
    await sender.publish(`${prefix}/a`, 'dropped', { to: bob.publicKey, qos: 1 });
    await sender.publish(`${prefix}/b`, 'kept', { to: bob.publicKey, qos: 1 });
    await inbox.message(`${prefix}/b`);
    expect(inbox.messages.map((m) => m.topic)).toEqual([`${prefix}/b`]);
  });

  it('end resolves after close', async () => {
    const client = await open({ identity: alice });
    let closed = false;
    client.on('close', () => {
      closed = true;
    });
    await client.end();
    expect(closed).toBe(true);
    expect(client.mqtt.connected).toBe(false);
  });

  it('refused connection rejects with cause', async () => {
    const port = await freePort();
    const error = await connectE2ee(`mqtt://127.0.0.1:${port}`, { identity: alice }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe('ERR_CONNECT');
    expect(((error as ConnectError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('refused connection names what to check', async () => {
    const port = await freePort();
    const error = await connectE2ee(`mqtt://127.0.0.1:${port}`, { identity: alice }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).message).toContain(`Connecting to mqtt://127.0.0.1:${port} failed`);
    expect((error as ConnectError).message).toContain('Check that the broker is running');
  });

  it('TLS to a plaintext port suggests mqtt://', async () => {
    const url = `mqtts://127.0.0.1:${broker.port}`;
    const error = await connectE2ee(url, { identity: alice, mqtt: { reconnectPeriod: 0 } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    const { message } = error as ConnectError;
    expect(message).toContain(`Connecting to ${url} failed`);
    expect(message).toContain(`Port ${broker.port} may be a plaintext listener`);
    expect(message).toContain('1883 is the usual plaintext MQTT port');
    expect(message).toContain('Use mqtt:// for that port');
  });

  it('plaintext hint needs a TLS URL', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const plain = new ConnectError('mqtt://127.0.0.1:8883', reset);
    expect(plain.message).not.toContain('plaintext listener');
    expect(plain.message).toContain('Check the broker address');
  });

  it('names ws:// for wss and non-TLS replies', () => {
    const notTls = Object.assign(new Error('write EPROTO 0A00010B:SSL routines::wrong version number\n'), {
      code: 'EPROTO',
    });
    const error = new ConnectError('wss://[::1]/mqtt', notTls);
    expect(error.message).toContain('Port 443 may be a plaintext listener');
    expect(error.message).toContain('Use ws:// for that port');
    expect(error.message).not.toContain('1883');
    expect(error.message).not.toContain('number\n');
  });

  it('keeps general advice for certificate errors', () => {
    const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    const error = new ConnectError('mqtts://127.0.0.1:8883', untrusted);
    expect(error.message).not.toContain('plaintext listener');
    expect(error.message).toContain('Check the broker address, TLS settings and credentials.');
  });

  it('connect error hides password', async () => {
    const port = await freePort();
    const url = `mqtt://user:hunter2@127.0.0.1:${port}`;
    const error = await connectE2ee(url, { identity: alice }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).message).not.toContain('hunter2');
    expect((error as ConnectError).brokerUrl).toBe(`mqtt://127.0.0.1:${port}`);
  });
});
