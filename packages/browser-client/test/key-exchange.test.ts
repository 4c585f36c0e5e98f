/**
 * Key exchange between the browser and Node.js clients through Aedes over WebSockets. The clients
 * share only an anchor's public key: each has an endorsement of its own keys, finds the others by
 * client id, and sends direct and group messages. The browser keeps its identity and state in
 * IndexedDB.
 */
import { randomBytes } from 'node:crypto';
import { keyIdHex } from '@mqtt-e2ee/envelope';
import {
  encodeAnchorPublicKey,
  encodeEndorsement,
  encodeRevocation,
  endorseKey,
  generateAnchor,
  generateDeviceIdentity,
  revocationTopic,
  revokeKey,
  type DevicePublicKeys,
} from '@mqtt-e2ee/key-exchange';
import { connectE2ee } from '@mqtt-e2ee/node-client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type RunningStaticServer } from '../scripts/static-server.mjs';
import { aedesSetup, type BrokerPath } from './support/brokers.js';
import { browserSkipReason, launchBrowser, type RunningBrowser } from './support/browser.js';
import { connectRaw, NodePeer } from './support/node.js';
import { harness, type PageError, type PageMessage } from './support/page.js';

const skipReason = browserSkipReason() ?? aedesSetup.skipReason;
const run = skipReason === undefined ? describe : describe.skip;
const text = (value: string) => new TextEncoder().encode(value);
const hexOf = (value: string) => Buffer.from(value, 'utf8').toString('hex');
const read = (value: Uint8Array) => Buffer.from(value).toString('utf8');
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PageKxMessage extends PageMessage {
  senderClientId?: string;
  group?: string;
}

interface RawDeviceKeys {
  encryptionKey: Uint8Array;
  signingKey: Uint8Array;
}

function devicePublicKeys(keys: { encryptionKey: string; signingKey: string }): RawDeviceKeys {
  return { encryptionKey: Buffer.from(keys.encryptionKey, 'hex'), signingKey: Buffer.from(keys.signingKey, 'hex') };
}

run(skipReason === undefined ? 'key exchange between browser and Node.js' : `skipped: ${skipReason}`, () => {
  const suffix = randomBytes(6).toString('hex');
  const prefix = `kx-${suffix}/v1`;
  const data = `mqtt-e2ee-test/browser/kx/${suffix}`;
  const database = `mqtt-e2ee-kx-test-${suffix}`;
  const anchor = generateAnchor();
  const anchorText = encodeAnchorPublicKey(anchor.publicKey);
  let broker: BrokerPath;
  let server: RunningStaticServer;
  let browser: RunningBrowser;
  let page: Page;
  let browserKeys: { encryptionKey: string; signingKey: string };
  let browserKeyText: string;
  const nodes = new Map<string, NodePeer>();
  const node = (clientId: string): NodePeer => nodes.get(clientId) as NodePeer;

  function endorse(clientId: string, device: DevicePublicKeys) {
    const now = Date.now();
    return endorseKey(anchor, { prefix, clientId, device, validFrom: now - 1000, validUntil: now + 3_600_000 });
  }

  function browserOptions(clientId = 'web', keys = browserKeys, stateDatabase = database) {
    const endorsement = Buffer.from(encodeEndorsement(endorse(clientId, devicePublicKeys(keys)))).toString('utf8');
    return {
      keyExchange: { clientId, policy: 'anchor', prefix, anchors: [anchorText], endorsements: [endorsement], stateDatabase },
      mqtt: { protocolVersion: 4 },
    };
  }

  /** Connects one more browser client, named by its client id, with its own state database. */
  async function connectOtherBrowser(clientId: string): Promise<RawDeviceKeys> {
    const stateDatabase = `${database}-${clientId}`;
    const keys = await harness<{ encryptionKey: string; signingKey: string }>(page, 'deviceKeys', stateDatabase);
    await harness(page, 'connect', clientId, broker.wsUrl, browserOptions(clientId, keys, stateDatabase));
    await harness(page, 'subscribe', clientId, `${data}/#`, 1);
    return devicePublicKeys(keys);
  }

  async function connectBrowser(): Promise<string> {
    const keyText = await harness<string>(page, 'connect', 'web', broker.wsUrl, browserOptions());
    await harness(page, 'subscribe', 'web', `${data}/#`, 1);
    return keyText;
  }

  async function connectNode(clientId: string): Promise<void> {
    const identity = generateDeviceIdentity();
    const client = await connectE2ee(broker.tcpUrl, {
      identity,
      keyExchange: { clientId, policy: 'anchor', prefix, anchors: [anchorText], endorsements: [endorse(clientId, identity)], stateFile: false },
      mqtt: { protocolVersion: 4, reconnectPeriod: 0 },
    });
    await client.subscribe(`${data}/#`, { qos: 1 });
    nodes.set(clientId, NodePeer.wrap(client));
  }

  const browserMessages = (topic: string, count: number) =>
    harness<PageKxMessage[]>(page, 'messages', 'web', topic, count);

  beforeAll(async () => {
    broker = await aedesSetup.start();
    server = await startStaticServer({ prefixes: ['/dist/bundle/', '/test/page/'] });
    browser = await launchBrowser(server.url);
    page = await browser.openPage();
    browserKeys = await harness(page, 'deviceKeys', database);
    browserKeyText = await connectBrowser();
    await connectNode('node-a');
    await connectNode('node-b');
  });

  afterAll(async () => {
    await page?.evaluate(() =>
      (window as unknown as { harness: { endAll(): Promise<void> } }).harness.endAll(),
    );
    await Promise.allSettled([...nodes.values()].map((peer) => peer.client.end(true)));
    await browser?.close();
    await server?.stop();
    await broker?.stop();
  });

  it('browser to Node by client id', async () => {
    const topic = `${data}/direct/to-node`;
    await harness(page, 'publish', 'web', topic, 'node-a', { text: 'from the page' });
    const [message] = await node('node-a').waitFor(topic, 1);
    expect(read(message?.payload ?? new Uint8Array())).toBe('from the page');
    expect(message?.sender.clientId).toBe('web');
    expect(message?.sender.keyId).toBe(keyIdHex(Buffer.from(browserKeys.encryptionKey, 'hex')));
  });

  it('Node to browser by client id', async () => {
    const topic = `${data}/direct/to-browser`;
    await node('node-a').client.publish(topic, 'from node-a', { to: 'web', qos: 1 });
    const [message] = await browserMessages(topic, 1);
    expect(message?.hex).toBe(hexOf('from node-a'));
    expect(message?.senderClientId).toBe('node-a');
    expect(message?.senderKeyId).toBe(node('node-a').client.keyId);
  });

  it('Node group reaches both members', async () => {
    const topic = `${data}/g1/temp`;
    const group = node('node-a').client.group({ groupId: 'g1', topics: [`${data}/g1/#`], members: ['web', 'node-b'] });
    await group.publish(topic, text('21.5'), { qos: 1 });
    const [inPage] = await browserMessages(topic, 1);
    const [inNode] = await node('node-b').waitFor(topic, 1);
    expect(inPage?.hex).toBe(hexOf('21.5'));
    expect(inPage?.group).toBe('g1');
    expect(inPage?.senderClientId).toBe('node-a');
    expect(read(inNode?.payload ?? new Uint8Array())).toBe('21.5');
    expect(inNode?.group).toBe('g1');
  });

  it('browser group reaches Node members', async () => {
    const topic = `${data}/g2/state`;
    const members = await harness<string[]>(page, 'groupPublish', 'web', 'g2', [`${data}/g2/#`], ['node-a', 'node-b'], topic, 'open');
    expect(members.sort()).toEqual(['node-a', 'node-b']);
    for (const id of ['node-a', 'node-b']) {
      const [message] = await node(id).waitFor(topic, 1);
      expect(read(message?.payload ?? new Uint8Array())).toBe('open');
      expect(message?.group).toBe('g2');
      expect(message?.sender.clientId).toBe('web');
    }
  });

  it('removed browser reads nothing new', async () => {
    const first = `${data}/g3/first`;
    const second = `${data}/g3/second`;
    const group = node('node-a').client.group({ groupId: 'g3', topics: [`${data}/g3/#`], members: ['web', 'node-b'] });
    await group.publish(first, text('both'), { qos: 1 });
    await browserMessages(first, 1);
    await node('node-b').waitFor(first, 1);
    await group.removeMember('web');
    await group.publish(second, text('node-b only'), { qos: 1 });
    const [kept] = await node('node-b').waitFor(second, 1);
    expect(read(kept?.payload ?? new Uint8Array())).toBe('node-b only');
    await settle(500);
    const seen = await browserMessages(`${data}/g3/`, 1);
    expect(seen.map((message) => message.topic)).toEqual([first]);
  });

  it('removed Node member reads nothing new', async () => {
    const first = `${data}/g4/first`;
    const second = `${data}/g4/second`;
    await harness(page, 'groupPublish', 'web', 'g4', [`${data}/g4/#`], ['node-a', 'node-b'], first, 'both');
    await node('node-a').waitFor(first, 1);
    await node('node-b').waitFor(first, 1);
    const members = await harness<string[]>(page, 'groupRemove', 'web', 'g4', 'node-b');
    expect(members).toEqual(['node-a']);
    await harness(page, 'groupPublish', 'web', 'g4', [], [], second, 'node-a only');
    const [kept] = await node('node-a').waitFor(second, 1);
    expect(read(kept?.payload ?? new Uint8Array())).toBe('node-a only');
    await settle(500);
    expect(node('node-b').messages.filter((message) => message.topic === second)).toEqual([]);
  });

  it('second tab rejected on state database', async () => {
    const second = await browser.openPage();
    try {
      const failure = await harness<{ code?: string; option?: string; databaseName?: string } | 'resolved'>(
        second,
        'connectFailure',
        'web-copy',
        broker.wsUrl,
        browserOptions(),
      );
      expect(failure).not.toBe('resolved');
      const rejected = failure as { code?: string; option?: string; databaseName?: string };
      expect(rejected.code).toBe('ERR_STATE_IN_USE');
      expect(rejected.option).toBe('opts.keyExchange.stateDatabase');
      expect(rejected.databaseName).toBe(database);
    } finally {
      await second.evaluate(() =>
        (window as unknown as { harness: { endAll(): Promise<void> } }).harness.endAll(),
      );
      await second.close();
    }
    // The first tab's client still works.
    const topic = `${data}/direct/after-second-tab`;
    await node('node-a').client.publish(topic, 'still here', { to: 'web', qos: 1 });
    const [message] = await browserMessages(topic, 1);
    expect(message?.hex).toBe(hexOf('still here'));
  });

  it('keeps identity and state in IndexedDB', async () => {
    await harness(page, 'end', 'web');
    const peers = await harness<string[]>(page, 'storedKxPeers', database);
    expect(peers).toEqual(expect.arrayContaining(['node-a', 'node-b']));
    expect(await harness(page, 'deviceKeys', database)).toEqual(browserKeys);
    expect(await connectBrowser()).toBe(browserKeyText);
    const topic = `${data}/direct/after-reconnect`;
    await node('node-b').client.publish(topic, 'again', { to: 'web', qos: 1 });
    const [message] = await browserMessages(topic, 1);
    expect(message?.hex).toBe(hexOf('again'));
  });

  it('browser rotation keeps in-flight messages', async () => {
    const nodeA = node('node-a');
    const oldKeyId = keyIdHex((await connectOtherBrowser('web-rotating')).encryptionKey);
    expect((await nodeA.client.peer('web-rotating')).keyId).toBe(oldKeyId);
    const inFlightTopic = `${data}/rotation/in-flight`;
    const kx = nodeA.client.keyExchange;
    if (kx === undefined) throw new Error('node-a has no key exchange');
    const inFlight = await kx.sealFor('web-rotating', inFlightTopic, text('sealed before rotation'));

    const rotation = await harness<{ before: string; after: string }>(page, 'rotateKey', 'web-rotating');
    expect(rotation.before).toBe(oldKeyId);
    expect(rotation.after).not.toBe(oldKeyId);
    for (let i = 0; i < 50 && (await nodeA.client.peer('web-rotating')).keyId !== rotation.after; i++) await settle(100);
    expect((await nodeA.client.peer('web-rotating')).keyId).toBe(rotation.after);
    expect(await harness<string>(page, 'peerKeyId', 'web', 'web-rotating')).toBe(rotation.after);

    // Sealed to the retired key, so it opens only while the grace period runs.
    await nodeA.client.mqtt.publishAsync(inFlightTopic, Buffer.from(inFlight), { qos: 1 });
    const [late] = await harness<PageKxMessage[]>(page, 'messages', 'web-rotating', inFlightTopic, 1);
    expect(late?.hex).toBe(hexOf('sealed before rotation'));
    expect(late?.senderClientId).toBe('node-a');

    const toGroup = `${data}/rotation/group`;
    await harness(page, 'groupPublish', 'web-rotating', 'rotation', [`${data}/rotation/group`], ['node-a'], toGroup, 'from the new key');
    const [inGroup] = await nodeA.waitFor(toGroup, 1);
    expect(read(inGroup?.payload ?? new Uint8Array())).toBe('from the new key');
    expect(inGroup?.sender.keyId).toBe(rotation.after);

    // Direct messages sent after the rotation are sealed with the new key.
    const toNode = `${data}/rotation/to-node`;
    await harness(page, 'publish', 'web-rotating', toNode, 'node-a', { text: 'direct after rotation' });
    const [atNode] = await nodeA.waitFor(toNode, 1);
    expect(read(atNode?.payload ?? new Uint8Array())).toBe('direct after rotation');
    expect(atNode?.sender.clientId).toBe('web-rotating');
    expect(atNode?.sender.keyId).toBe(rotation.after);

    const toPage = `${data}/rotation/to-browser`;
    await harness(page, 'publish', 'web', toPage, 'web-rotating', { text: 'to the new key' });
    const [atPage] = await harness<PageKxMessage[]>(page, 'messages', 'web-rotating', toPage, 1);
    expect(atPage?.hex).toBe(hexOf('to the new key'));
    const stored = await harness<{ encryptionKey: string }>(page, 'deviceKeys', `${database}-web-rotating`);
    expect(keyIdHex(Buffer.from(stored.encryptionKey, 'hex'))).toBe(rotation.after);
    await harness(page, 'end', 'web-rotating');
  });

  it('revoked browser sender stops at once', async () => {
    const device = await connectOtherBrowser('web-revoked');
    const base = `${data}/revoked`;
    const direct = `${base}/direct`;
    const grouped = `${base}/group`;
    await harness(page, 'publish', 'web-revoked', direct, 'web', { text: 'before' });
    await harness(page, 'groupPublish', 'web-revoked', 'revoked', [`${base}/#`], ['web'], grouped, 'before');
    const [directBefore] = await browserMessages(direct, 1);
    const [groupBefore] = await browserMessages(grouped, 1);
    expect(directBefore?.hex).toBe(hexOf('before'));
    expect(groupBefore?.hex).toBe(hexOf('before'));
    expect(groupBefore?.group).toBe('revoked');

    // 'web' has an open direct session and the group's epoch key when the anchor revokes the sender.
    const revocation = revokeKey(anchor, { prefix, clientId: 'web-revoked', device, revokedAt: Date.now(), reason: 'test' });
    const raw = await connectRaw(broker.tcpUrl, { protocolVersion: 4 });
    const topic = revocationTopic(prefix, 'web-revoked', keyIdHex(device.encryptionKey));
    await raw.publishAsync(topic, Buffer.from(encodeRevocation(revocation)), { qos: 1, retain: true });
    await raw.endAsync();
    await harness(page, 'waitForKeyEvent', 'web', 'revoked', 'web-revoked');

    await harness(page, 'publish', 'web-revoked', `${direct}/after`, 'web', { text: 'after' });
    await harness(page, 'groupPublish', 'web-revoked', 'revoked', [], [], `${grouped}/after`, 'after');
    const [directError] = await harness<PageError[]>(page, 'errors', 'web', `${direct}/after`, 1);
    const [groupError] = await harness<PageError[]>(page, 'errors', 'web', `${grouped}/after`, 1);
    expect(directError?.code).toBe('ERR_KEY_REVOKED');
    expect(groupError?.code).toBe('ERR_KEY_REVOKED');
    const received = await browserMessages(`${base}/`, 2);
    expect(received.map((message) => message.topic).sort()).toEqual([direct, grouped]);
    await harness(page, 'end', 'web-revoked');
  });

  it('two tabs create one identity', async () => {
    const second = await browser.openPage();
    try {
      for (let round = 0; round < 5; round++) {
        const name = `${database}-race-${round}`;
        // Creates the empty database first, so that both pages start from the same point.
        expect(await harness<string[]>(page, 'storedKxPeers', name)).toEqual([]);
        const startAt = Date.now() + 300;
        const [first, other] = await Promise.all([
          harness<{ encryptionKey: string }>(page, 'deviceKeysAt', name, startAt),
          harness<{ encryptionKey: string }>(second, 'deviceKeysAt', name, startAt),
        ]);
        expect(other.encryptionKey).toBe(first.encryptionKey);
        expect(await harness(second, 'deviceKeys', name)).toEqual(first);
      }
    } finally {
      await second.close();
    }
  });
});
