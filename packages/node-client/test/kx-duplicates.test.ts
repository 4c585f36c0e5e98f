/**
 * Duplicates on the key exchange path, through the Mosquitto on 127.0.0.1:1883: a raw client
 * republishes captured direct and group envelopes, and the receiver drops both copies as
 * duplicates instead of reporting a decrypt-error.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectE2ee, type E2eeClient } from '../src/index.js';
import { connectRaw, Inbox, nextRawMessage, realMosquittoSetup, uniquePrefix } from './helpers.js';

const mosquitto = await realMosquittoSetup();
const read = (value: Uint8Array) => new TextDecoder().decode(value);

describe.skipIf(mosquitto.skipReason !== undefined)('key exchange duplicates on Mosquitto', () => {
  const prefix = `${uniquePrefix('kx-dup').replaceAll('/', '-')}/v1`;
  const data = uniquePrefix('kx-dup-data');
  let dir: string;
  let url: string;
  let alice: E2eeClient;
  let bob: E2eeClient;
  let bobInbox: Inbox;
  let raw: MqttClient;

  async function open(clientId: string): Promise<E2eeClient> {
    return connectE2ee(url, {
      identity: join(dir, `${clientId}.key`),
      keyExchange: { clientId, policy: 'insecure', prefix, stateFile: false },
      mqtt: { protocolVersion: 5, reconnectPeriod: 0 },
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'node-client-kx-dup-'));
    url = (await mosquitto.start()).url;
    alice = await open('alice');
    bob = await open('bob');
    bobInbox = new Inbox(bob);
    await bob.subscribe(`${data}/#`, { qos: 1 });
    raw = await connectRaw(url, { protocolVersion: 5 });
    await raw.subscribeAsync(`${data}/#`, { qos: 1 });
  }, 30_000);

  afterAll(async () => {
    await Promise.allSettled([alice?.end(true), bob?.end(true)]);
    for (const id of ['alice', 'bob']) {
      await raw?.publishAsync(`${prefix}/keys/${id}`, Buffer.alloc(0), { qos: 1, retain: true });
    }
    await raw?.endAsync();
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  it('direct copy is a duplicate', async () => {
    const topic = `${data}/direct`;
    const captured = nextRawMessage(raw, topic);
    await alice.publish(topic, 'direct once', { to: 'bob', qos: 1 });
    const message = await bobInbox.message(topic);
    expect(read(message.payload)).toBe('direct once');
    await raw.publishAsync(topic, await captured, { qos: 1 });
    const duplicate = await bobInbox.duplicate(topic);
    expect(duplicate.seq).toBe(message.seq);
    expect(duplicate.senderKeyId).toBe(alice.keyId);
    expect(bobInbox.errors.filter((error) => error.topic === topic)).toEqual([]);
    expect(bobInbox.messages.filter((m) => m.topic === topic)).toHaveLength(1);
  });

  it('group copy is a duplicate', async () => {
    const topic = `${data}/plant/temp`;
    const group = alice.group({ groupId: 'plant', topics: [`${data}/plant/#`], members: ['bob'] });
    const captured = nextRawMessage(raw, topic);
    await group.publish(topic, new TextEncoder().encode('21.5'), { qos: 1 });
    const message = await bobInbox.message(topic);
    expect(message.group).toBe('plant');
    const duplicatesBefore = bob.stats.duplicates;
    await raw.publishAsync(topic, await captured, { qos: 1 });
    const duplicate = await bobInbox.duplicate(topic);
    expect(duplicate.seq).toBe(message.seq);
    // A group envelope names its epoch, not a sender key.
    expect(duplicate.senderKeyId).toBe('');
    expect(duplicate.sessionId).toMatch(/^[0-9a-f]{16}$/);
    expect(bob.stats.duplicates).toBe(duplicatesBefore + 1);
    expect(bobInbox.errors.filter((error) => error.topic === topic)).toEqual([]);
  });
});
