import { generateKeyPair } from '@mqtt-e2ee/envelope';
import { PeerDirectory } from '@mqtt-e2ee/key-exchange';
import { startAedes, type RunningAedes } from '@mqtt-e2ee/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectE2ee, PublishError, type ConnectE2eeOptions, type E2eeClient } from '../src/index.js';
import { Inbox, uniquePrefix } from './helpers.js';

const alice = generateKeyPair();
const bob = generateKeyPair();
const carol = generateKeyPair();

let broker: RunningAedes;
const opened: E2eeClient[] = [];

async function open(options: ConnectE2eeOptions): Promise<E2eeClient> {
  const client = await connectE2ee(broker.url, { ...options, mqtt: { reconnectPeriod: 0 } });
  opened.push(client);
  return client;
}

beforeAll(async () => {
  broker = await startAedes();
});

afterAll(async () => {
  await Promise.all(opened.map((client) => client.end(true)));
  await broker?.stop();
});

/** True when `needle` occurs in the whole block that `view` is part of. */
function blockHolds(view: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(view.buffer).includes(Buffer.from(needle));
}

describe('peers checked after decryption', () => {
  it('wipes plaintext of removed sender', async () => {
    const directory = new PeerDirectory([alice.publicKey, carol.publicKey]);
    const receiver = await open({ identity: bob, peers: directory });
    const fromAlice = await open({ identity: alice, peers: [bob.publicKey] });
    const fromCarol = await open({ identity: carol, peers: [bob.publicKey] });
    const inbox = new Inbox(receiver);
    const topic = `${uniquePrefix('wipe')}/t`;
    await receiver.subscribe(topic, { qos: 1 });

    // Two messages from each sender open both sessions and put later plaintexts in a shared block.
    for (const [i, sender] of [fromAlice, fromCarol, fromAlice, fromCarol].entries()) {
      await sender.publish(topic, `warm-up ${i}`, { to: bob.publicKey, qos: 1 });
    }
    while (inbox.messages.length < 4) await new Promise((resolve) => setTimeout(resolve, 10));

    directory.removePeer(alice.publicKey);
    const secret = new TextEncoder().encode('alice after removal: secret');
    await fromAlice.publish(topic, secret, { to: bob.publicKey, qos: 1 });
    const rejected = await inbox.error(topic);
    expect(rejected.code).toBe('ERR_UNKNOWN_SENDER');
    await fromCarol.publish(topic, 'carol after removal', { to: bob.publicKey, qos: 1 });
    while (inbox.messages.length < 5) await new Promise((resolve) => setTimeout(resolve, 10));

    const last = inbox.messages[4];
    expect(new TextDecoder().decode(last?.payload)).toBe('carol after removal');
    for (const message of inbox.messages) expect(blockHolds(message.payload, secret)).toBe(false);
  });

  it('checks every message without PeerDirectory revision', async () => {
    const directory = new PeerDirectory([alice.publicKey]);
    // A wrapper that copies the revision once: it must not be trusted as a change counter.
    const wrapper = { resolve: directory.resolve, revision: directory.revision };
    const receiver = await open({ identity: bob, peers: wrapper as unknown as PeerDirectory });
    const sender = await open({ identity: alice, peers: [bob.publicKey] });
    const inbox = new Inbox(receiver);
    const topic = `${uniquePrefix('wrapper')}/t`;
    await receiver.subscribe(topic, { qos: 1 });
    await sender.publish(topic, 'before', { to: bob.publicKey, qos: 1 });
    await inbox.message(topic);
    directory.removePeer(alice.publicKey);
    await sender.publish(topic, 'after', { to: bob.publicKey, qos: 1 });
    expect((await inbox.error(topic)).code).toBe('ERR_UNKNOWN_SENDER');
    expect(inbox.messages).toHaveLength(1);
  });
});

describe('publish on an ended client', () => {
  it.each([0, 1] as const)('rejects at QoS %i with PublishError', async (qos) => {
    const client = await open({ identity: alice, peers: [bob.publicKey] });
    await client.end();
    const result = await Promise.race([
      client.publish('a/b', 'late', { to: bob.publicKey, qos }).then(
        () => 'resolved',
        (error: unknown) => error,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still pending'), 2000)),
    ]);
    expect(result).toBeInstanceOf(PublishError);
    expect((result as PublishError).message).toMatch(/the client has ended/);
  });
});
