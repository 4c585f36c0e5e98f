import { runOnce } from './dist/throughput.js';
import { plaintextLink, envelopeLink } from './dist/links.js';
import { sodiumProvider } from '@mqtt-e2ee/envelope/sodium';
const qos = Number(process.argv[2]); const wins = process.argv.slice(3).map(Number);
for (const window of wins) {
  const flow = { messages: 30000, window, payloadBytes: 1024, idleTimeoutMs: 5000, graceMs: 50 };
  const res = {};
  for (const [name, f] of [['plain', plaintextLink], ['env', envelopeLink(sodiumProvider)], ['plain', plaintextLink], ['env', envelopeLink(sodiumProvider)]]) {
    await runOnce(f, 'mqtt://127.0.0.1:1883', qos, 'w', { ...flow, messages: 3000 });
    const r = await runOnce(f, 'mqtt://127.0.0.1:1883', qos, 'w', flow);
    (res[name] ??= []).push(Math.round(r.msgsPerS));
  }
  console.log('qos', qos, 'window', window, JSON.stringify(res), (Math.max(...res.env)/Math.max(...res.plain)).toFixed(2));
}
