import { chromium } from 'playwright-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStaticServer } from '/work/main/packages/browser-client/scripts/static-server.mjs';
import { startAedes } from '@mqtt-e2ee/testkit';
import { connectE2ee } from '@mqtt-e2ee/node-client';
import { generateKeyPair } from '@mqtt-e2ee/envelope';
import { publicKeyText } from '@mqtt-e2ee/key-exchange';

const broker = await startAedes({ websockets: true });
const server = await startStaticServer({ prefixes: ['/dist/bundle/', '/test/page/'] });
const dir = await mkdtemp(join(tmpdir(), 'chromium-'));
const context = await chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless','--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync'] });
const page = await context.newPage();
page.on('console', (m) => console.log('page:', m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e));
await page.goto(`${server.url}/test/page/index.html`);
await page.waitForFunction(() => window.e2eeReady === true);
const node = generateKeyPair();
const nodeClient = await connectE2ee(broker.url, { identity: node });
const result = await page.evaluate(async ({ wsUrl, nodeKey }) => {
  const { connectE2ee, generateKeyPair, publicKeyText } = window.e2ee;
  const me = generateKeyPair();
  const client = await connectE2ee(wsUrl, { identity: me, peers: [nodeKey], mqtt: { reconnectPeriod: 0 } });
  const got = new Promise((resolve) => client.on('message', (m) => resolve(new TextDecoder().decode(m.payload))));
  client.on('decrypt-error', (e) => console.log('decrypt-error', e.code, e.message));
  await client.subscribe('smoke/in', { qos: 1 });
  window.client = client;
  return { pk: publicKeyText(me), subtle: typeof crypto.subtle, buffer: typeof globalThis.Buffer, process: typeof globalThis.process };
}, { wsUrl: broker.wsUrl, nodeKey: publicKeyText(node) });
console.log(result);
const inbox = new Promise((resolve) => nodeClient.on('message', (m) => resolve(Buffer.from(m.payload).toString())));
nodeClient.on('decrypt-error', (e) => console.log('node decrypt-error', e.code));
await nodeClient.subscribe('smoke/out', { qos: 1 });
await nodeClient.publish('smoke/in', 'hello browser', { to: result.pk, qos: 1 });
// Browser replies.
const reply = await page.evaluate(async (nodeKey) => {
  await window.client.publish('smoke/out', new Uint16Array([0x6968, 0x2121]), { to: nodeKey, qos: 1 });
  return 'sent';
}, publicKeyText(node));
console.log('browser got?', await page.evaluate(() => new Promise((r) => setTimeout(r, 500)).then(() => 'ok')));
console.log('node got', await inbox);
await nodeClient.end(); await context.close(); await server.stop(); await broker.stop();
