import { randomBytes } from 'node:crypto';
import { generateKeyPair, keyIdHex } from '@mqtt-e2ee/envelope';
import { publicKeyText } from '@mqtt-e2ee/key-exchange';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type RunningStaticServer } from '../scripts/static-server.mjs';
import { aedesSetup, mosquittoBridgeSetup, type BrokerPath } from './support/brokers.js';
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

const browserSkip = browserSkipReason();
const setups = [aedesSetup, await mosquittoBridgeSetup()];
const MIB = 1024 * 1024;

describe.each(setups)('$name', (setup) => {
  const skipReason = browserSkip ?? setup.skipReason;
  const run = skipReason === undefined ? describe : describe.skip;
  run(skipReason === undefined ? 'browser and Node.js' : `skipped: ${skipReason}`, () => {
    let broker: BrokerPath;
    let server: RunningStaticServer;
    let browser: RunningBrowser;
    let page: Page;
    let raw: MqttClient;
    let nodePeer: NodePeer;
    const nodeIdentity = generateKeyPair();
    const nodeKey = publicKeyText(nodeIdentity);
    let browserKey: string;
    const prefix = uniquePrefix('interop');
    const clientId = `browser-${randomBytes(6).toString('hex')}`;

    beforeAll(async () => {
      broker = await setup.start();
      server = await startStaticServer({ prefixes: ['/dist/bundle/', '/test/page/'] });
      browser = await launchBrowser(server.url);
      page = await browser.openPage();
      // clean: false keeps the session on the broker, so messages sent while the browser is
      // disconnected wait for it. MQTT 3.1.1 is used because MQTT 5 would also need a Session
      // Expiry Interval for that.
      browserKey = await harness<string>(page, 'connect', 'main', broker.wsUrl, {
        peers: [nodeKey],
        mqtt: { clientId, clean: false, protocolVersion: 4 },
      });
      await harness(page, 'subscribe', 'main', `${prefix}/to-browser/#`, 1);
      nodePeer = await NodePeer.connect(broker.tcpUrl, nodeIdentity, [browserKey], broker.mqtt5);
      await nodePeer.client.subscribe(`${prefix}/to-node/#`, { qos: 1 });
      raw = await connectRaw(broker.tcpUrl);
    });

    afterAll(async () => {
      await page?.evaluate(() =>
        (window as unknown as { harness: { endAll(): Promise<void> } }).harness.endAll(),
      );
      await Promise.allSettled([nodePeer?.client.end(true), raw?.endAsync(true)]);
      // A clean session with the same client id removes the persistent session from the broker.
      if (broker !== undefined) {
        const cleaner = await connectRaw(broker.tcpUrl, { clientId, clean: true });
        await cleaner.endAsync();
      }
      await browser?.close();
      await server?.stop();
      await broker?.stop();
    });

    it('browser to Node text', async () => {
      const topic = `${prefix}/to-node/text`;
      await harness(page, 'publish', 'main', topic, nodeKey, { text: 'Grüße aus dem Browser 🌍' });
      const [message] = await nodePeer.waitFor(topic, 1);
      expect(Buffer.from(message?.payload ?? []).toString('utf8')).toBe('Grüße aus dem Browser 🌍');
      expect(message?.sender.keyId).toBe(keyIdHex(await keyFromText(browserKey)));
    });

    it('Node to browser exact bytes', async () => {
      const topic = `${prefix}/to-browser/bytes`;
      const payload = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
      await nodePeer.client.publish(topic, payload, { to: browserKey, qos: 1 });
      const [message] = await harness<PageMessage[]>(page, 'messages', 'main', topic, 1);
      expect(message?.hex).toBe(toHex(payload));
      expect(message?.senderKeyId).toBe(keyIdHex(nodeIdentity.publicKey));
    });

    it('1 MiB browser to Node', async () => {
      const topic = `${prefix}/to-node/large`;
      const digest = await harness<string>(page, 'publish', 'main', topic, nodeKey, {
        randomLength: MIB,
      });
      const [message] = await nodePeer.waitFor(topic, 1);
      expect(message?.payload.length).toBe(MIB);
      expect(sha256Hex(message?.payload ?? new Uint8Array())).toBe(digest);
    });

    it('1 MiB Node to browser', async () => {
      const topic = `${prefix}/to-browser/large`;
      const payload = randomBytes(MIB);
      await nodePeer.client.publish(topic, payload, { to: browserKey, qos: 1 });
      const [message] = await harness<PageMessage[]>(page, 'messages', 'main', topic, 1);
      expect(message?.length).toBe(MIB);
      expect(message?.sha256).toBe(sha256Hex(payload));
    });

    it('50 retained envelopes at once', async () => {
      const retained = `${prefix}/retained`;
      const texts = Array.from({ length: 50 }, (_, i) => `retained ${i} ${'x'.repeat(i * 7)}`);
      await Promise.all(
        texts.map((text, i) =>
          nodePeer.client.publish(`${retained}/${i}`, text, {
            to: browserKey,
            qos: 1,
            retain: true,
          }),
        ),
      );
      try {
        // The broker delivers all 50 retained messages in one burst on subscribe.
        await harness(page, 'subscribe', 'main', `${retained}/#`, 1);
        const messages = await harness<PageMessage[]>(page, 'messages', 'main', `${retained}/`, 50);
        expect(messages).toHaveLength(50);
        expect(messages.every((message) => message.retain)).toBe(true);
        const byTopic = new Map(messages.map((message) => [message.topic, message.hex]));
        texts.forEach((text, i) => {
          expect(byTopic.get(`${retained}/${i}`)).toBe(Buffer.from(text).toString('hex'));
        });
      } finally {
        await Promise.all(
          texts.map((_, i) => nodePeer.client.clearRetained(`${retained}/${i}`, { qos: 1 })),
        );
      }
    });

    it('reconnect delivers queued message', async () => {
      const topic = `${prefix}/to-browser/reconnect`;
      const connects = (await harness<string[]>(page, 'events', 'main')).filter(
        (e) => e === 'connect',
      ).length;
      broker.dropBrowsers();
      await harness(page, 'waitForEvent', 'main', 'offline', 1);
      // Sent while the browser is offline: the persistent session keeps it for the browser.
      await nodePeer.client.publish(`${topic}/during`, 'sent during the outage', {
        to: browserKey,
        qos: 1,
      });
      await harness(page, 'waitForEvent', 'main', 'connect', connects + 1);
      await nodePeer.client.publish(`${topic}/after`, 'sent after reconnecting', {
        to: browserKey,
        qos: 1,
      });
      const messages = await harness<PageMessage[]>(page, 'messages', 'main', topic, 2);
      const texts = messages
        .map((message) => Buffer.from(message.hex ?? '', 'hex').toString())
        .sort();
      expect(texts).toEqual(['sent after reconnecting', 'sent during the outage']);
      await harness(page, 'publish', 'main', `${prefix}/to-node/after-reconnect`, nodeKey, {
        text: 'back',
      });
      expect(await nodePeer.waitFor(`${prefix}/to-node/after-reconnect`, 1)).toHaveLength(1);
    });

    it('tampered envelope rejected, page continues', async () => {
      const topic = `${prefix}/tamper/t`;
      await raw.subscribeAsync(topic, { qos: 1 });
      // The browser subscribes only after the capture, so it has not seen this sequence number.
      const captured = nextRawMessage(raw, topic);
      await nodePeer.client.publish(topic, 'untouched', { to: browserKey, qos: 1 });
      const original = await captured;
      await harness(page, 'subscribe', 'main', `${prefix}/tamper/#`, 1);
      const tampered = Buffer.from(original);
      const index = tampered.length - 10;
      tampered[index] = (tampered[index] ?? 0) ^ 0x40;
      await raw.publishAsync(topic, tampered, { qos: 1 });
      const [error] = await harness<PageError[]>(page, 'errors', 'main', topic, 1);
      expect(error?.code).toBe('ERR_DECRYPT');
      // The untouched copy still opens, so the flipped bit alone caused the rejection.
      await raw.publishAsync(topic, original, { qos: 1 });
      await nodePeer.client.publish(topic, 'still working', { to: browserKey, qos: 1 });
      const messages = await harness<PageMessage[]>(page, 'messages', 'main', topic, 2);
      const texts = messages
        .map((message) => Buffer.from(message.hex ?? '', 'hex').toString())
        .sort();
      expect(texts).toEqual(['still working', 'untouched']);
      expect(await harness<PageError[]>(page, 'errors', 'main', topic, 1)).toHaveLength(1);
      expect(await harness<boolean>(page, 'connected', 'main')).toBe(true);
    });

    it('broker sees only ciphertext', async () => {
      const topic = `${prefix}/to-node/spied`;
      const marker = 'plaintext marker 6f1d0c';
      await raw.subscribeAsync(topic, { qos: 1 });
      const captured = nextRawMessage(raw, topic);
      await harness(page, 'publish', 'main', topic, nodeKey, { text: marker });
      const envelope = await captured;
      expect(envelope[0]).toBe(0x01);
      expect(envelope.includes(Buffer.from(marker))).toBe(false);
      const [message] = await nodePeer.waitFor(topic, 1);
      expect(Buffer.from(message?.payload ?? []).toString()).toBe(marker);
    });
  });
});

async function keyFromText(text: string): Promise<Uint8Array> {
  const { decodePublicKey } = await import('@mqtt-e2ee/key-exchange');
  return decodePublicKey(text);
}
