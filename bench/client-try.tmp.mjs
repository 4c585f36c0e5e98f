import { runOnce } from '/work/main/bench/dist/throughput.js';
import { plaintextLink, envelopeLink, directClientLink } from '/work/main/bench/dist/links.js';
import { nodeProvider } from '@mqtt-e2ee/envelope/node';
const qos = Number(process.argv[2] ?? 0);
const r = await runOnce(directClientLink(nodeProvider), 'mqtt://127.0.0.1:1883', qos, 'c', { messages: 2000, window: 64, payloadBytes: 1024, idleTimeoutMs: 5000, graceMs: 50 });
console.log(r);
