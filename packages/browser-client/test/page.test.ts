import { randomBytes } from 'node:crypto';
import { generateKeyPair, keyIdHex, parseHeader } from '@mqtt-e2ee/envelope';
import { publicKeyText } from '@mqtt-e2ee/key-exchange';
import { startAedes, type RunningAedes } from '@mqtt-e2ee/testkit';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type RunningStaticServer } from '../scripts/static-server.mjs';
import { startBridge } from './support/bridge.js';
import { browserSkipReason, launchBrowser, type RunningBrowser } from './support/browser.js';
import {
  connectRaw,
  nextRawMessage,
  NodePeer,
  sha256Hex,
  toHex,
  uniquePrefix,
} from './support/node.js';
import { harness, type PageError, type PageMessage } from './support/page.js';

const skipReason = browserSkipReason();
const run = skipReason === undefined ? describe : describe.skip;

/** The page's view of one stored identity, as listIdentities returns it. */
interface IdentityInfo {
  name: string;
  keyId: string;
  publicKeyText: string;
  createdAt: number;
}

/** A dropped duplicate as the page records it, with seq as a decimal string. */
interface PageDuplicate {
  topic: string;
  seq: string;
  senderKeyId: string;
  sessionId: string;
}

interface ConnectFailure {
  name: string;
  code: string;
  option?: string;
  databaseName?: string;
  message: string;
}

run(skipReason === undefined ? 'browser client in Chromium' : `skipped: ${skipReason}`, () => {
  let broker: RunningAedes;
  let wsUrl: string;
  let server: RunningStaticServer;
  let browser: RunningBrowser;
  let nodePeer: NodePeer;
  let raw: MqttClient;
  const pages: Page[] = [];
  const nodeIdentity = generateKeyPair();
  const nodeKey = publicKeyText(nodeIdentity);

  async function openPage(options: { withoutSubtle?: boolean; withoutLocks?: boolean } = {}): Promise<Page> {
    const page = await browser.openPage(options);
    pages.push(page);
    return page;
  }

  /** Connects a Node peer that accepts the given browser keys. */
  async function nodePeerFor(keys: string[]): Promise<NodePeer> {
    const peer = await NodePeer.connect(broker.url, nodeIdentity, keys, false);
    await peer.client.subscribe('mqtt-e2ee-test/browser/#', { qos: 1 });
    return peer;
  }

  beforeAll(async () => {
    broker = await startAedes({ websockets: true });
    if (broker.wsUrl === undefined) throw new Error('startAedes returned no wsUrl');
    wsUrl = broker.wsUrl;
    server = await startStaticServer({ prefixes: ['/dist/bundle/', '/test/page/'] });
    browser = await launchBrowser(server.url);
    raw = await connectRaw(broker.url);
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) {
      await page.evaluate(() =>
        (window as unknown as { harness: { endAll(): Promise<void> } }).harness.endAll(),
      );
      await page.close();
    }
    await nodePeer?.client.end(true);
  });

  afterAll(async () => {
    await raw?.endAsync(true);
    await browser?.close();
    await server?.stop();
    await broker?.stop();
  });

  it('bundle leaves no Node globals', async () => {
    const page = await openPage();
    const environment = await harness<Record<string, unknown>>(page, 'environment');
    expect(environment['buffer']).toBe('undefined');
    expect(environment['process']).toBe('undefined');
    expect(environment['secureContext']).toBe(true);
  });

  it('odd WebSocket frames arrive byte-exact', async () => {
    const page = await openPage();
    const prefix = uniquePrefix('frames');
    const browserKey = await harness<string>(page, 'connect', 'odd', wsUrl, {
      peers: [nodeKey],
      oddFrames: true,
    });
    await harness(page, 'subscribe', 'odd', `${prefix}/#`, 1);
    nodePeer = await nodePeerFor([browserKey]);

    const payloads = Array.from({ length: 40 }, (_, i) =>
      randomBytes(i === 39 ? 200_000 : 1 + i * 97),
    );
    await Promise.all(
      payloads.map((payload, i) =>
        nodePeer.client.publish(`${prefix}/${i}`, payload, { to: browserKey, qos: 1 }),
      ),
    );

    const messages = await harness<PageMessage[]>(
      page,
      'messages',
      'odd',
      `${prefix}/`,
      payloads.length,
    );
    const byTopic = new Map(messages.map((message) => [message.topic, message]));
    payloads.forEach((payload, i) => {
      expect(byTopic.get(`${prefix}/${i}`)?.sha256, `message ${i}`).toBe(sha256Hex(payload));
    });

    const stats = await harness<Record<string, number>>(page, 'oddFrameStats');
    for (const kind of ['blob', 'uint8View', 'dataView', 'arrayBuffer', 'split', 'merged']) {
      expect(stats[kind], kind).toBeGreaterThan(0);
    }

    // Sending still works on the same connection.
    await harness(page, 'publish', 'odd', `${prefix}/reply`, nodeKey, {
      text: 'reply over odd frames',
    });
    const [reply] = await nodePeer.waitFor(`${prefix}/reply`, 1);
    expect(Buffer.from(reply?.payload ?? []).toString()).toBe('reply over odd frames');
  });

  it('payload forms sent byte-exact', async () => {
    const page = await openPage();
    const prefix = uniquePrefix('forms');
    const browserKey = await harness<string>(page, 'connect', 'forms', wsUrl, { peers: [nodeKey] });
    nodePeer = await nodePeerFor([browserKey]);
    const expected = await harness<string>(page, 'publishForms', 'forms', prefix, nodeKey);
    const messages = await nodePeer.waitFor(prefix, 4);
    expect(messages.map((message) => message.topic.slice(prefix.length + 1)).sort()).toEqual([
      'arrayBuffer',
      'blob',
      'dataView',
      'uint16',
    ]);
    for (const message of messages) expect(toHex(message.payload), message.topic).toBe(expected);
  });

  it('keys survive page reload', async () => {
    const page = await openPage();
    const before = await harness<string>(page, 'storedIdentity', 'alice');
    await page.reload();
    await page.waitForFunction(() => (window as { e2eeReady?: boolean }).e2eeReady === true);
    const after = await harness<string>(page, 'storedIdentity', 'alice');
    expect(after).toBe(before);
    const listed = await harness<IdentityInfo[]>(page, 'listIdentities');
    expect(listed.map((identity) => identity.name)).toEqual(['alice']);
    expect(listed[0]?.publicKeyText).toBe(before);
    expect(JSON.stringify(listed)).not.toContain('mqe2e-sk1-');
    expect(Object.keys(listed[0] ?? {}).sort()).toEqual([
      'createdAt',
      'keyId',
      'name',
      'publicKeyText',
    ]);

    const prefix = uniquePrefix('reload');
    await harness(page, 'connect', 'stored', wsUrl, {
      identity: { stored: 'alice' },
      peers: [nodeKey],
    });
    await harness(page, 'subscribe', 'stored', `${prefix}/#`, 1);
    nodePeer = await nodePeerFor([before]);
    await nodePeer.client.publish(`${prefix}/t`, 'for the stored key', { to: before, qos: 1 });
    const [message] = await harness<PageMessage[]>(page, 'messages', 'stored', `${prefix}/`, 1);
    expect(Buffer.from(message?.hex ?? '', 'hex').toString()).toBe('for the stored key');
  });

  it('replay state survives page reload', async () => {
    const page = await openPage();
    const prefix = uniquePrefix('replay-reload');
    const topic = `${prefix}/t`;
    const replayStateDatabase = `replay-${randomBytes(6).toString('hex')}`;
    const browserKey = await harness<string>(page, 'storedIdentity', 'replay-reader');
    const persisted = { identity: { stored: 'replay-reader' }, peers: [nodeKey], replayStateDatabase };
    await harness(page, 'connect', 'persisted', wsUrl, persisted);
    await harness(page, 'subscribe', 'persisted', `${prefix}/#`, 1);
    nodePeer = await nodePeerFor([browserKey]);
    await raw.subscribeAsync(topic, { qos: 1 });
    const captured = nextRawMessage(raw, topic);
    await nodePeer.client.publish(topic, 'before reload', { to: browserKey, qos: 1 });
    const envelope = await captured;
    await harness(page, 'messages', 'persisted', topic, 1);

    await page.reload();
    await page.waitForFunction(() => (window as { e2eeReady?: boolean }).e2eeReady === true);
    await harness(page, 'connect', 'persisted', wsUrl, persisted);
    await harness(page, 'subscribe', 'persisted', `${prefix}/#`, 1);
    // The same identity without the database accepts the copy, so the database alone drops it.
    await harness(page, 'connect', 'in-memory', wsUrl, {
      identity: { stored: 'replay-reader' },
      peers: [nodeKey],
    });
    await harness(page, 'subscribe', 'in-memory', `${prefix}/#`, 1);
    await raw.publishAsync(topic, envelope, { qos: 1 });
    const [accepted] = await harness<PageMessage[]>(page, 'messages', 'in-memory', topic, 1);
    expect(Buffer.from(accepted?.hex ?? '', 'hex').toString()).toBe('before reload');
    const [duplicate] = await harness<PageDuplicate[]>(page, 'duplicates', 'persisted', topic, 1);
    expect(duplicate?.seq).toBe('0');
    expect(duplicate?.senderKeyId).toBe(keyIdHex(nodeIdentity.publicKey));

    // The sender's next message in the same session is still accepted after the reload.
    await nodePeer.client.publish(topic, 'after reload', { to: browserKey, qos: 1 });
    const [next] = await harness<PageMessage[]>(page, 'messages', 'persisted', topic, 1);
    expect(Buffer.from(next?.hex ?? '', 'hex').toString()).toBe('after reload');
    expect(next?.seq).toBe('1');
    expect(await harness<PageError[]>(page, 'errors', 'persisted', topic, 0)).toEqual([]);
    expect(await harness<Record<string, number>>(page, 'stats', 'persisted')).toEqual({
      delivered: 1,
      duplicates: 1,
      rejected: 0,
      skipped: 0,
      unencrypted: 0,
    });
  });

  it('works without crypto.subtle', async () => {
    // 127.0.0.1 is a secure context, so an init script removes crypto.subtle to simulate a page
    // served over plain http from another host.
    const page = await openPage({ withoutSubtle: true });
    const environment = await harness<Record<string, unknown>>(page, 'environment');
    expect(environment['subtle']).toBe('undefined');
    expect(environment['getRandomValues']).toBe('function');

    const prefix = uniquePrefix('no-subtle');
    const browserKey = await harness<string>(page, 'storedIdentity', 'no-subtle');
    await harness(page, 'connect', 'plain', wsUrl, {
      identity: { stored: 'no-subtle' },
      peers: [nodeKey],
    });
    await harness(page, 'subscribe', 'plain', `${prefix}/to-browser/#`, 1);
    nodePeer = await nodePeerFor([browserKey]);

    await nodePeer.client.publish(`${prefix}/to-browser/t`, 'no subtle needed', {
      to: browserKey,
      qos: 1,
    });
    const [message] = await harness<PageMessage[]>(
      page,
      'messages',
      'plain',
      `${prefix}/to-browser/`,
      1,
    );
    expect(Buffer.from(message?.hex ?? '', 'hex').toString()).toBe('no subtle needed');

    await harness(page, 'publish', 'plain', `${prefix}/to-node`, nodeKey, {
      text: 'sealed without subtle',
    });
    const [reply] = await nodePeer.waitFor(`${prefix}/to-node`, 1);
    expect(Buffer.from(reply?.payload ?? []).toString()).toBe('sealed without subtle');
  });

  it('two tabs never share a session key', async () => {
    const first = await openPage();
    const second = await openPage();
    // Both tabs race to create the same stored identity; IndexedDB lets one of them store it.
    const [firstKey, secondKey] = await Promise.all([
      harness<string>(first, 'storedIdentity', 'shared'),
      harness<string>(second, 'storedIdentity', 'shared'),
    ]);
    expect(secondKey).toBe(firstKey);
    const prefix = uniquePrefix('tabs');
    const topic = `${prefix}/to-node`;
    await harness(first, 'connect', 'tab', wsUrl, {
      identity: { stored: 'shared' },
      peers: [nodeKey],
    });
    await harness(second, 'connect', 'tab', wsUrl, {
      identity: { stored: 'shared' },
      peers: [nodeKey],
    });
    nodePeer = await nodePeerFor([firstKey]);
    await raw.subscribeAsync(topic, { qos: 1 });
    const envelopes: Buffer[] = [];
    const onRaw = (received: string, payload: Buffer): void => {
      if (received === topic) envelopes.push(Buffer.from(payload));
    };
    raw.on('message', onRaw);
    try {
      await harness(first, 'publish', 'tab', topic, nodeKey, { text: 'from tab one' });
      await harness(second, 'publish', 'tab', topic, nodeKey, { text: 'from tab two' });
      const messages = await nodePeer.waitFor(topic, 2);
      expect(messages.map((m) => Buffer.from(m.payload).toString()).sort()).toEqual([
        'from tab one',
        'from tab two',
      ]);
      await expect.poll(() => envelopes.length).toBe(2);
    } finally {
      raw.off('message', onRaw);
    }
    const [one, two] = envelopes.map((envelope) => parseHeader(envelope));
    // Same sender key and the same first sequence number, but each tab's session has its own
    // ephemeral key (enc), so the derived AEAD keys differ and no (key, nonce) pair repeats.
    expect(toHex(one?.senderKeyId ?? new Uint8Array())).toBe(
      toHex(two?.senderKeyId ?? new Uint8Array()),
    );
    expect(one?.seq).toBe(two?.seq);
    expect(toHex(one?.enc ?? new Uint8Array())).not.toBe(toHex(two?.enc ?? new Uint8Array()));
  });

  it('second tab rejected on replay database', async () => {
    const first = await openPage();
    const second = await openPage();
    const replayStateDatabase = `replay-${randomBytes(6).toString('hex')}`;
    const lockName = `mqtt-e2ee:replay:${replayStateDatabase}`;
    const options = { peers: [nodeKey], replayStateDatabase };
    await harness(first, 'connect', 'owner', wsUrl, options);
    expect(await harness<string[]>(second, 'heldLocks')).toContain(lockName);

    const failure = await harness<ConnectFailure | 'resolved'>(second, 'connectFailure', 'late', wsUrl, options);
    expect(failure).not.toBe('resolved');
    const rejected = failure as ConnectFailure;
    expect(rejected.name).toBe('StateInUseError');
    expect(rejected.code).toBe('ERR_STATE_IN_USE');
    expect(rejected.option).toBe('opts.replayStateDatabase');
    expect(rejected.databaseName).toBe(replayStateDatabase);
    expect(rejected.message).toContain(JSON.stringify(replayStateDatabase));
    expect(rejected.message).toContain('close its tab');
    expect(rejected.message).toContain('another database name');

    // Another database name is free while the first tab keeps its own.
    const other = { ...options, replayStateDatabase: `${replayStateDatabase}-other` };
    expect(await harness(second, 'connectFailure', 'other', wsUrl, other)).toBe('resolved');

    // end() resolves after the lock is released, so the second tab connects right after it.
    await harness(first, 'end', 'owner');
    expect(await harness<string[]>(second, 'heldLocks')).not.toContain(lockName);
    expect(await harness(second, 'connectFailure', 'late', wsUrl, options)).toBe('resolved');
    expect(await harness<boolean>(second, 'connected', 'late')).toBe(true);
  });

  it('reload frees replay database', async () => {
    const first = await openPage();
    const second = await openPage();
    const replayStateDatabase = `replay-${randomBytes(6).toString('hex')}`;
    const options = { peers: [nodeKey], replayStateDatabase };
    await harness(first, 'connect', 'owner', wsUrl, options);
    const failure = await harness<ConnectFailure | 'resolved'>(second, 'connectFailure', 'late', wsUrl, options);
    expect((failure as ConnectFailure).code).toBe('ERR_STATE_IN_USE');
    // The client is never ended: unloading the page releases its Web Lock.
    await first.reload();
    await first.waitForFunction(() => (window as { e2eeReady?: boolean }).e2eeReady === true);
    expect(await harness(second, 'connectFailure', 'late', wsUrl, options)).toBe('resolved');
  });

  it('without Web Locks tabs share database', async () => {
    const first = await openPage({ withoutLocks: true });
    const second = await openPage({ withoutLocks: true });
    expect(await first.evaluate(() => typeof navigator.locks)).toBe('undefined');
    const options = { peers: [nodeKey], replayStateDatabase: `replay-${randomBytes(6).toString('hex')}` };
    // Not enforced without navigator.locks: both connect, as before the lock existed.
    expect(await harness(first, 'connectFailure', 'one', wsUrl, options)).toBe('resolved');
    expect(await harness(second, 'connectFailure', 'two', wsUrl, options)).toBe('resolved');
  });

  it.each([
    ['rejectUnauthorized', { mqtt: { rejectUnauthorized: false } }, 'opts.mqtt.rejectUnauthorized'],
    ['client certificate', { mqtt: { cert: 'PEM', key: 'PEM' } }, 'opts.mqtt.cert'],
    ['CA option', { mqtt: { ca: 'PEM' } }, 'opts.mqtt.ca'],
    ['tls files', { tls: { caFile: '/etc/ssl/ca.pem' } }, 'opts.tls'],
  ])('%s rejected as unsupported', async (_name, options, option) => {
    const page = await openPage();
    const failure = await harness<ConnectFailure | 'resolved'>(
      page,
      'connectError',
      'wss://127.0.0.1:1/mqtt',
      options,
    );
    expect(failure).not.toBe('resolved');
    expect((failure as ConnectFailure).name).toBe('UnsupportedOptionError');
    expect((failure as ConnectFailure).code).toBe('ERR_UNSUPPORTED_OPTION');
    expect((failure as ConnectFailure).option).toBe(option);
  });

  it('mqtt: URL rejected in browser', async () => {
    const page = await openPage();
    const failure = await harness<ConnectFailure | 'resolved'>(
      page,
      'connectError',
      'mqtt://127.0.0.1:1883',
      {},
    );
    expect((failure as ConnectFailure).name).toBe('OptionRangeError');
    expect((failure as ConnectFailure).option).toBe('brokerUrl');
    expect((failure as ConnectFailure).message).toContain('ws: or wss:');
  });

  it('oversized messages get typed errors', async () => {
    const page = await openPage();
    const prefix = uniquePrefix('oversized');
    const browserKey = await harness<string>(page, 'connect', 'small', wsUrl, {
      peers: [nodeKey],
      maxMessageBytes: 4096,
    });
    await harness(page, 'subscribe', 'small', `${prefix}/#`, 1);
    const outgoing = await harness<Record<string, unknown>>(
      page,
      'publishError',
      'small',
      `${prefix}/out`,
      nodeKey,
      5000,
    );
    expect(outgoing).toEqual({
      name: 'MessageTooLargeError',
      code: 'ERR_MESSAGE_TOO_LARGE',
      direction: 'outgoing',
      limit: 4096,
    });
    nodePeer = await nodePeerFor([browserKey]);
    await nodePeer.client.publish(`${prefix}/in`, new Uint8Array(5000), { to: browserKey, qos: 1 });
    const [error] = await harness<PageError[]>(page, 'errors', 'small', `${prefix}/in`, 1);
    expect(error?.code).toBe('ERR_MESSAGE_TOO_LARGE');
    await nodePeer.client.publish(`${prefix}/in`, 'small enough', { to: browserKey, qos: 1 });
    const [message] = await harness<PageMessage[]>(page, 'messages', 'small', `${prefix}/in`, 1);
    expect(Buffer.from(message?.hex ?? '', 'hex').toString()).toBe('small enough');
  });

  it('WebSocket frame limit reported', async () => {
    // A bridge that accepts frames of at most 8 KiB, as a broker with a WebSocket limit would.
    const bridge = await startBridge({ brokerPort: broker.port, maxPayload: 8192 });
    try {
      const page = await openPage();
      const prefix = uniquePrefix('frame-limit');
      await harness(page, 'connect', 'limited', bridge.url, { mqtt: { reconnectPeriod: 0 } });
      // QoS 0, so the publish resolves once written; the close that follows is what is checked.
      await harness<unknown>(page, 'publishError', 'limited', `${prefix}/big`, nodeKey, 20_000, 0);
      const events = await harness<string[]>(
        page,
        'waitForEvent',
        'limited',
        'error:ERR_WEBSOCKET_CLOSED',
        1,
      );
      expect(events).toContain('error:ERR_WEBSOCKET_CLOSED:1009');
    } finally {
      await bridge.stop();
    }
  });

  it('retained delete reaches the page', async () => {
    const page = await openPage();
    const prefix = uniquePrefix('delete');
    const browserKey = await harness<string>(page, 'connect', 'deleter', wsUrl, {
      peers: [nodeKey],
    });
    nodePeer = await nodePeerFor([browserKey]);
    const topic = `${prefix}/state`;
    await nodePeer.client.publish(topic, 'retained state', {
      to: browserKey,
      qos: 1,
      retain: true,
    });
    await harness(page, 'subscribe', 'deleter', `${prefix}/#`, 1);
    await harness(page, 'messages', 'deleter', topic, 1);
    await nodePeer.client.clearRetained(topic, { qos: 1 });
    await expect.poll(() => harness<string[]>(page, 'deletes', 'deleter')).toEqual([topic]);
    expect(await harness<PageError[]>(page, 'errors', 'deleter', topic, 0)).toEqual([]);
  });
});
