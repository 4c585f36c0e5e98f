import { runOnce } from './dist/throughput.js';
import { plaintextLink, envelopeLink, directClientLink } from './dist/links.js';
import { sodiumProvider } from '@mqtt-e2ee/envelope/sodium';
const mode = process.argv[2] ?? 'client'; const qos = Number(process.argv[3] ?? 0);
const f = mode === 'plain' ? plaintextLink : mode === 'envelope' ? envelopeLink(sodiumProvider) : directClientLink(sodiumProvider);
const flow = { messages: 60000, window: 64, payloadBytes: 1024, idleTimeoutMs: 5000, graceMs: 50 };
await runOnce(f, 'mqtt://127.0.0.1:1883', qos, 'w', { ...flow, messages: 5000 });
const r = await runOnce(f, 'mqtt://127.0.0.1:1883', qos, 'p', flow);
console.log(mode, qos, Math.round(r.msgsPerS), r.lost, r.duplicated);
