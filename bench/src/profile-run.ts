/**
 * Runs one mode alone, for profiling: a warm-up flow, then one measured flow.
 *
 *   node --cpu-prof --cpu-prof-dir=DIR bench/dist/profile-run.js MODE QOS [MESSAGES]
 *
 * MODE is plaintext, direct, direct-envelope or group; the encrypted modes use the fastest
 * provider. Pass the profile and MESSAGES plus the warm-up count to profile-summary.js.
 */
import { openBroker } from './broker.js';
import type { FlowOptions } from './flow.js';
import { loadGroupMode } from './group.js';
import { directClientLink, envelopeLink, plaintextLink, type LinkFactory, type QoS } from './links.js';
import { loadProviders } from './providers.js';
import { runOnce } from './throughput.js';

export const PROFILE_WARMUP_MESSAGES = 5000;

async function main(): Promise<void> {
  const [mode = 'direct', qosText = '0', messagesText = '60000'] = process.argv.slice(2);
  const qos = Number(qosText);
  if (qos !== 0 && qos !== 1) throw new RangeError(`QOS must be 0 or 1, got '${qosText}'`);
  const { fastest } = await loadProviders();
  const factories: Record<string, LinkFactory | undefined> = {
    plaintext: plaintextLink,
    direct: directClientLink(fastest),
    'direct-envelope': envelopeLink(fastest),
    group: loadGroupMode(fastest).factory,
  };
  const factory = factories[mode];
  if (factory === undefined) throw new RangeError(`MODE must be one of ${Object.keys(factories).join(', ')}, got '${mode}'`);
  const flow: FlowOptions = { messages: Number(messagesText), window: 64, payloadBytes: 1024, idleTimeoutMs: 5000, graceMs: 50 };
  const broker = await openBroker();
  try {
    await runOnce(factory, broker.url, qos as QoS, mode, { ...flow, messages: PROFILE_WARMUP_MESSAGES });
    const result = await runOnce(factory, broker.url, qos as QoS, mode, flow);
    process.stdout.write(
      `${mode} QoS ${qos}: ${Math.round(result.msgsPerS)} msgs/s, ${result.received} of ${result.messages} received, ` +
        `${result.duplicated} duplicated, ${result.corrupted} corrupted (provider ${fastest.name}, broker ${broker.kind})\n`,
    );
  } finally {
    await broker.stop();
  }
}

await main();
