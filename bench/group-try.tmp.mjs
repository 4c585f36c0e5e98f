import { runOnce } from './dist/throughput.js';
import { loadGroupMode } from './dist/group.js';
import { sodiumProvider } from '@mqtt-e2ee/envelope/sodium';
const g = loadGroupMode(sodiumProvider); console.log(g.note);
const qos = Number(process.argv[2] ?? 0);
const r = await runOnce(g.factory, 'mqtt://127.0.0.1:1883', qos, 'g', { messages: Number(process.argv[3] ?? 3000), window: 64, payloadBytes: 1024, idleTimeoutMs: 5000, graceMs: 50 });
console.log(r);
