// Demo: an embedded Aedes broker with WebSockets on 127.0.0.1, a Node.js echo peer, and a static
// server for the demo page, which shows what the broker receives next to the decrypted messages.
// Run with `pnpm --filter @mqtt-e2ee/browser-client demo`; DEMO_PORT picks the page's port.
import { generateKeyPair } from '@mqtt-e2ee/envelope';
import { PeerDirectory, publicKeyText } from '@mqtt-e2ee/key-exchange';
import { connectE2ee } from '@mqtt-e2ee/node-client';
import { startAedes } from '@mqtt-e2ee/testkit';
import { startStaticServer } from '../scripts/static-server.mjs';

const DEMO_TOPICS = 'demo/#';
/** Bytes of each payload shown in the broker view. */
const PREVIEW_BYTES = 96;

const broker = await startAedes({ websockets: true });
const botPeers = new PeerDirectory();
const botIdentity = generateKeyPair();
const bot = await connectE2ee(broker.url, { identity: botIdentity, peers: botPeers });
await bot.subscribe(DEMO_TOPICS, { qos: 1 });
bot.on('message', (message) => {
  const text = new TextDecoder().decode(message.payload);
  bot
    .publish(message.topic, `echo from the Node.js peer: ${text}`, {
      to: message.sender.publicKey,
      qos: 1,
    })
    .catch((error) => console.error(`echo failed: ${error.message}`));
});
bot.on('decrypt-error', (error) =>
  console.log(`Node.js peer rejected a message on ${error.topic}: ${error.code}`),
);

const viewers = new Set();
broker.broker.on('publish', (packet, client) => {
  // Publishes without a client are the broker's own $SYS messages.
  if (client === null || client === undefined || !packet.topic.startsWith('demo/')) return;
  const payload = Buffer.from(packet.payload);
  const event = JSON.stringify({
    topic: packet.topic,
    bytes: payload.length,
    qos: packet.qos,
    retain: packet.retain,
    preview: payload.subarray(0, PREVIEW_BYTES).toString('hex'),
  });
  for (const response of viewers) response.write(`data: ${event}\n\n`);
});

const server = await startStaticServer({
  port: Number(process.env.DEMO_PORT ?? 0),
  prefixes: ['/demo/', '/dist/bundle/'],
  routes: {
    '/': (_request, response) => {
      response.writeHead(302, { location: '/demo/' });
      response.end();
    },
    '/api/config': (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify({ wsUrl: broker.wsUrl, peerKey: publicKeyText(botIdentity) }));
    },
    '/api/introduce': (request, response) => introduce(request, response),
    '/api/broker-view': (request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      response.write(': connected\n\n');
      viewers.add(response);
      request.on('close', () => viewers.delete(response));
    },
  },
});

/** Adds the page's public key to the Node.js peer, so that it accepts the page and replies to it. */
async function introduce(request, response) {
  if (request.method !== 'POST') {
    response.writeHead(405, { allow: 'POST' });
    return response.end();
  }
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 1000) break;
  }
  try {
    const key = body.trim();
    if (!botPeers.has(key)) botPeers.addPeer(key, 'demo page');
    response.writeHead(204);
  } catch (error) {
    response.writeHead(400, { 'content-type': 'text/plain' });
    response.write(error instanceof Error ? error.message : String(error));
  }
  response.end();
}

console.log(`mqtt-e2ee browser demo: open ${server.url}/demo/ (Ctrl+C stops it)`);
console.log(`broker: ${broker.wsUrl} for browsers, ${broker.url} for Node.js`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  for (const response of viewers) response.end();
  await bot.end(true).catch(() => undefined);
  await server.stop();
  await broker.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
