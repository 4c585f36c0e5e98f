import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateKeyPair,
  keyIdHex,
  MemoryReplayStore,
  type ReplaySnapshot,
} from '@mqtt-e2ee/envelope';
import { realMosquittoUrl, startAedes, type RunningAedes } from '@mqtt-e2ee/testkit';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectE2ee,
  InvalidOptionError,
  OptionRangeError,
  type ConnectE2eeOptions,
  type E2eeClient,
} from '../src/index.js';
import {
  connectRaw,
  Inbox,
  nextRawMessage,
  realMosquittoSetup,
  settle,
  uniquePrefix,
} from './helpers.js';

/** Envelope header length and ChaCha20-Poly1305 tag length (spec/envelope-v1.md, wire format). */
const HEADER_BYTES = 60;
const TAG_BYTES = 16;

const alice = generateKeyPair();
const bob = generateKeyPair();

let broker: RunningAedes;
let raw: MqttClient;
let stateDir: string;
const opened: E2eeClient[] = [];

async function open(options: ConnectE2eeOptions, url = broker.url): Promise<E2eeClient> {
  const client = await connectE2ee(url, {
    ...options,
    mqtt: { reconnectPeriod: 0, ...options.mqtt },
  });
  opened.push(client);
  return client;
}

/** Publishes from `sender` to bob on `topic` and returns the envelope as a raw subscriber saw it. */
async function publishAndCapture(sender: E2eeClient, topic: string, text: string): Promise<Buffer> {
  const captured = nextRawMessage(raw, topic);
  await sender.publish(topic, text, { to: bob.publicKey, qos: 1 });
  return captured;
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

beforeAll(async () => {
  broker = await startAedes();
  raw = await connectRaw(broker.url);
  await raw.subscribeAsync('mqtt-e2ee-test/#', { qos: 1 });
  stateDir = await mkdtemp(join(tmpdir(), 'node-client-replay-'));
});

afterAll(async () => {
  await Promise.allSettled([...opened.map((client) => client.end(true)), raw?.endAsync()]);
  await broker?.stop();
  if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
});

const mosquitto = await realMosquittoSetup();
const onMosquitto = mosquitto.skipReason === undefined ? describe : describe.skip;

onMosquitto(mosquitto.skipReason === undefined ? 'duplicates on Mosquitto' : `skipped: ${mosquitto.skipReason}`, () => {
  it('overlapping subscriptions deliver once', async () => {
    const prefix = uniquePrefix('overlap');
    const topic = `${prefix}/a/b`;
    const mqtt = { protocolVersion: 5 } as const;
    const sender = await open({ identity: alice, mqtt }, realMosquittoUrl);
    const receiver = await open({ identity: bob, peers: [alice.publicKey], mqtt }, realMosquittoUrl);
    const inbox = new Inbox(receiver);
    await receiver.subscribe([`${prefix}/a/+`, topic], { qos: 1 });
    // A raw client with the same two filters shows that the broker sends one copy per filter.
    const rawCopies: Buffer[] = [];
    const rawClient = await connectRaw(realMosquittoUrl, mqtt);
    try {
      rawClient.on('message', (received, payload) => {
        if (received === topic) rawCopies.push(payload);
      });
      await rawClient.subscribeAsync([`${prefix}/a/+`, topic], { qos: 1 });
      await sender.publish(topic, 'only once', { to: bob.publicKey, qos: 1 });
      await inbox.duplicate(topic);
      await expect.poll(() => rawCopies.length).toBe(2);
    } finally {
      await rawClient.endAsync();
    }
    await settle();
    expect(inbox.messages.map((message) => text(message.payload))).toEqual(['only once']);
    expect(inbox.duplicates).toHaveLength(1);
    expect(inbox.duplicates[0]?.seq).toBe(inbox.messages[0]?.seq);
    expect(inbox.duplicates[0]?.senderKeyId).toBe(keyIdHex(alice.publicKey));
    expect(inbox.errors).toEqual([]);
    expect(receiver.stats).toEqual({ delivered: 1, duplicates: 1, rejected: 0, skipped: 0, unencrypted: 0 });
  });
});

describe('replay state file', () => {
  it('survives a receiver restart', async () => {
    const topic = `${uniquePrefix('restart')}/t`;
    const replayStateFile = join(stateDir, 'bob-replay.jsonl');
    const sender = await open({ identity: alice });
    const first = await open({ identity: bob, peers: [alice.publicKey], replayStateFile });
    const firstInbox = new Inbox(first);
    await first.subscribe(topic, { qos: 1 });
    const envelope = await publishAndCapture(sender, topic, 'before restart');
    expect(text((await firstInbox.message(topic)).payload)).toBe('before restart');
    await first.end();

    const restarted = await open({ identity: bob, peers: [alice.publicKey], replayStateFile });
    const restartedInbox = new Inbox(restarted);
    await restarted.subscribe(topic, { qos: 1 });
    // Without the file, the same identity accepts the republished copy again.
    const forgetful = await open({ identity: bob, peers: [alice.publicKey] });
    const forgetfulInbox = new Inbox(forgetful);
    await forgetful.subscribe(topic, { qos: 1 });

    await raw.publishAsync(topic, envelope, { qos: 1 });
    expect(text((await forgetfulInbox.message(topic)).payload)).toBe('before restart');
    const duplicate = await restartedInbox.duplicate(topic);
    expect(duplicate.seq).toBe(0n);
    expect(restartedInbox.messages).toEqual([]);
    expect(restartedInbox.errors).toEqual([]);

    // The sender keeps its session, and its next message is accepted after the restart.
    await sender.publish(topic, 'after restart', { to: bob.publicKey, qos: 1 });
    const next = await restartedInbox.message(topic);
    expect(text(next.payload)).toBe('after restart');
    expect(next.seq).toBe(1n);
    expect(restarted.stats).toMatchObject({ delivered: 1, duplicates: 1, rejected: 0 });
    const lines = (await readFile(replayStateFile, 'utf8')).trim().split('\n');
    expect(JSON.parse(lines[0] ?? '{}')).toEqual({ format: 'mqtt-e2ee-replay', version: 1 });
    expect(lines.length).toBeGreaterThanOrEqual(2);
  });

  it('conflicts with replayStore', async () => {
    const error = await connectE2ee('mqtt://127.0.0.1:1', {
      identity: bob,
      replayStore: new MemoryReplayStore(),
      replayStateFile: join(stateDir, 'never.jsonl'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionRangeError);
    expect((error as OptionRangeError).option).toBe('opts.replayStateFile');
  });

  it('rejected with key exchange', async () => {
    const error = await connectE2ee('mqtt://127.0.0.1:1', {
      identity: bob,
      keyExchange: { clientId: 'bob', policy: 'insecure' },
      replayStateFile: join(stateDir, 'never.jsonl'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionRangeError);
    expect((error as OptionRangeError).option).toBe('opts.replayStateFile');
  });
});

describe('envelope options', () => {
  it('custom replayStore receives saves', async () => {
    const topic = `${uniquePrefix('store')}/t`;
    const saved: string[] = [];
    const memory = new MemoryReplayStore();
    const replayStore = {
      load: (key: string) => memory.load(key),
      save: (key: string, snapshot: ReplaySnapshot) => {
        saved.push(`${key} top ${snapshot.top}`);
        memory.save(key, snapshot);
      },
    };
    const sender = await open({ identity: alice });
    const receiver = await open({ identity: bob, peers: [alice.publicKey], replayStore });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1 });
    await sender.publish(topic, 'one', { to: bob.publicKey, qos: 1 });
    await sender.publish(topic, 'two', { to: bob.publicKey, qos: 1 });
    await expect.poll(() => inbox.messages.length).toBe(2);
    expect(saved).toHaveLength(2);
    expect(saved[0]).toMatch(new RegExp(`^${keyIdHex(alice.publicKey)}:${keyIdHex(bob.publicKey)}:[0-9a-f]{64} top 0$`));
    expect(saved[1]).toMatch(/ top 1$/);
  });

  it('padding hides the length', async () => {
    const topic = `${uniquePrefix('padding')}/t`;
    const padded = await open({ identity: alice, padding: 'buckets' });
    const plain = await open({ identity: alice });
    const receiver = await open({ identity: bob, peers: [alice.publicKey] });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1 });
    const paddedEnvelope = await publishAndCapture(padded, topic, 'hi');
    const plainEnvelope = await publishAndCapture(plain, topic, 'hi');
    // 'hi' and the 0x80 marker fit the smallest bucket of 32 bytes.
    expect(paddedEnvelope.length).toBe(HEADER_BYTES + 32 + TAG_BYTES);
    expect(plainEnvelope.length).toBe(HEADER_BYTES + 2 + TAG_BYTES);
    await expect.poll(() => inbox.messages.length).toBe(2);
    expect(inbox.messages.map((message) => text(message.payload))).toEqual(['hi', 'hi']);
  });

  it('topicMap binds the canonical topic', async () => {
    const prefix = uniquePrefix('bridge');
    const mapFor = (site: string) => [{ local: `${prefix}/${site}/`, canonical: 'plant/' }];
    const sender = await open({ identity: alice, topicMap: mapFor('east') });
    const mapped = await open({ identity: bob, peers: [alice.publicKey], topicMap: mapFor('west') });
    const unmapped = await open({ identity: bob, peers: [alice.publicKey] });
    const mappedInbox = new Inbox(mapped);
    const unmappedInbox = new Inbox(unmapped);
    const east = `${prefix}/east/temp`;
    const west = `${prefix}/west/temp`;
    await mapped.subscribe(west, { qos: 1 });
    await unmapped.subscribe(west, { qos: 1 });
    // The raw client acts as a bridge that rewrites the prefix east/ to west/.
    const envelope = await publishAndCapture(sender, east, 'bridged');
    await raw.publishAsync(west, envelope, { qos: 1 });
    expect(text((await mappedInbox.message(west)).payload)).toBe('bridged');
    expect((await unmappedInbox.error(west)).code).toBe('ERR_DECRYPT');
  });

  it.each([
    ['padding', { padding: [64, 32] }, OptionRangeError],
    ['padding', { padding: 'all' }, InvalidOptionError],
    ['topicMap', { topicMap: [{ local: '', canonical: 'x/' }] }, OptionRangeError],
    ['topicMap', { topicMap: 'a/' }, InvalidOptionError],
    ['replayStore', { replayStore: { load: () => undefined } }, InvalidOptionError],
    ['strict', { strict: 'no' }, InvalidOptionError],
  ] as const)('bad %s rejected', async (name, options, type) => {
    const error = await connectE2ee('mqtt://127.0.0.1:1', { identity: bob, ...(options as object) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(type);
    expect((error as InvalidOptionError).option).toBe(`opts.${name}`);
    expect((error as Error).message).toContain(`opts.${name} must be`);
  });
});

describe('asynchronous replay store', () => {
  /** Builds a store over a MemoryReplayStore whose saves become durable only when the test settles `pending`. */
  function deferredStore() {
    const memory = new MemoryReplayStore();
    const pending: Array<{ resolve(): void; reject(error: Error): void }> = [];
    const store = {
      load: (key: string) => memory.load(key),
      save: (key: string, snapshot: ReplaySnapshot) => memory.save(key, snapshot),
      flush: () =>
        new Promise<void>((resolve, reject) => {
          pending.push({ resolve, reject });
        }),
    };
    return { store, pending };
  }

  it('delivers after flush resolves', async () => {
    const topic = `${uniquePrefix('async-store')}/t`;
    const { store, pending } = deferredStore();
    const sender = await open({ identity: alice });
    const receiver = await open({ identity: bob, peers: [alice.publicKey], replayStore: store });
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1 });
    await sender.publish(topic, 'first', { to: bob.publicKey, qos: 1 });
    await sender.publish(topic, 'second', { to: bob.publicKey, qos: 1 });
    await expect.poll(() => pending.length).toBe(2);
    await settle(100);
    expect(inbox.messages).toEqual([]);
    // Flushes settle out of order, and the messages still arrive in order.
    pending[1]?.resolve();
    await settle(50);
    expect(inbox.messages).toEqual([]);
    pending[0]?.resolve();
    await expect.poll(() => inbox.messages.length).toBe(2);
    expect(inbox.messages.map((message) => text(message.payload))).toEqual(['first', 'second']);
    expect(receiver.stats.delivered).toBe(2);
  });

  it('failed flush drops the message', async () => {
    const topic = `${uniquePrefix('async-fail')}/t`;
    const { store, pending } = deferredStore();
    const sender = await open({ identity: alice });
    const receiver = await open({ identity: bob, peers: [alice.publicKey], replayStore: store });
    const inbox = new Inbox(receiver);
    const errors: Error[] = [];
    receiver.on('error', (error) => errors.push(error));
    await receiver.subscribe(topic, { qos: 1 });
    await sender.publish(topic, 'unsaved', { to: bob.publicKey, qos: 1 });
    await expect.poll(() => pending.length).toBe(1);
    pending[0]?.reject(new Error('disk full'));
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]?.message).toBe('disk full');
    await settle(50);
    expect(inbox.messages).toEqual([]);
    expect(receiver.stats).toMatchObject({ delivered: 0, rejected: 1 });
  });
});

describe('strict mode', () => {
  async function receiverWith(strict: boolean | undefined, topic: string): Promise<{ client: E2eeClient; inbox: Inbox; clear: Array<{ kind: string; text: string }> }> {
    const client = await open({
      identity: bob,
      peers: [alice.publicKey],
      ...(strict === undefined ? {} : { strict }),
    });
    const inbox = new Inbox(client);
    const clear: Array<{ kind: string; text: string }> = [];
    client.on('unencrypted', (message) => clear.push({ kind: message.kind, text: text(message.payload) }));
    await client.subscribe(topic, { qos: 1 });
    return { client, inbox, clear };
  }

  it('default rejects clear text', async () => {
    const topic = `${uniquePrefix('strict')}/t`;
    const { client, inbox, clear } = await receiverWith(undefined, topic);
    await raw.publishAsync(topic, '{"temperature": 21.5}', { qos: 1 });
    expect((await inbox.error(topic)).code).toBe('ERR_ENVELOPE_FORMAT');
    expect(clear).toEqual([]);
    expect(client.stats.rejected).toBe(1);
  });

  it('non-strict reports clear text separately', async () => {
    const topic = `${uniquePrefix('lenient')}/t`;
    const sender = await open({ identity: alice });
    const { client, inbox, clear } = await receiverWith(false, topic);
    await raw.publishAsync(topic, '{"temperature": 21.5}', { qos: 1 });
    await raw.publishAsync(topic, Buffer.from([0x05, 0x41, 0x42]), { qos: 1 });
    // A truncated envelope (first byte 0x01) is still an error, not clear text.
    await raw.publishAsync(topic, Buffer.from([0x01, 0x01, 0x01]), { qos: 1 });
    await sender.publish(topic, 'sealed', { to: bob.publicKey, qos: 1 });
    expect(text((await inbox.message(topic)).payload)).toBe('sealed');
    expect(clear).toEqual([
      { kind: 'not-envelope', text: '{"temperature": 21.5}' },
      { kind: 'unsupported-version', text: '\u0005AB' },
    ]);
    expect(inbox.errors.map((error) => error.code)).toEqual(['ERR_ENVELOPE_FORMAT']);
    expect(inbox.messages).toHaveLength(1);
    expect(client.stats).toEqual({ delivered: 1, duplicates: 0, rejected: 1, skipped: 0, unencrypted: 2 });
  });
});
