/**
 * Entry point of `pnpm bench`: MQTT throughput against plaintext, envelope crypto rates, session
 * setup, overhead and memory. Prints tables and writes bench/results/latest.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openBroker } from './broker.js';
import { measureBrowser, type BrowserResult } from './browser.js';
import type { CryptoRow } from './crypto.js';
import { measureProviderInChild } from './crypto-runner.js';
import { currentLoad, machineInfo } from './machine.js';
import { measureMemory, type MemoryRow } from './memory.js';
import { measureDirectOverhead, measureGroupOverhead, type OverheadRow } from './overhead.js';
import { loadProviders } from './providers.js';
import { printSummary } from './summary.js';
import type { EpochRow } from './epochs.js';
import type { SessionRow } from './sessions.js';
import { runThroughputSuite, type ThroughputRow } from './throughput-suite.js';
import type { RateOptions } from './timing.js';

const HELP = `Usage: node bench/dist/main.js [options]

  --quick            few messages and short timings, for a smoke test (writes quick.tmp.json)
  --rounds N         measured rounds per mode and QoS (default 7)
  --window N         messages in flight between publisher and subscriber (default 64)
  --messages N       messages per QoS 0 run; QoS 1 runs use half (default 60000)
  --providers        also run direct mode with every other provider (adds about a minute)
  --calibrate        also run plaintext with a busy loop as long as one seal plus one open
  --skip-throughput  skip the MQTT runs
  --skip-crypto      skip the crypto, session and memory benchmarks
  --skip-browser     skip the Chromium decrypt benchmark
  --embedded         use an embedded Aedes broker even when Mosquitto is reachable
  --out FILE         result file (default bench/results/latest.json)
  --help             print this text`;

const PAYLOAD_BYTES = 1024;
const CRYPTO_SIZES = [64, 1024, 65536];
const BROWSER_SIZES = [1024, 65536];

export interface BenchResults {
  schema: 1;
  generated_at: string;
  quick: boolean;
  machine: ReturnType<typeof machineInfo>;
  broker: { kind: string; url: string; version: string; note?: string } | null;
  method: Record<string, unknown>;
  fastest_provider: { name: string; source: string };
  providers_missing: { name: string; reason: string }[];
  throughput: ThroughputRow[];
  crypto: CryptoRow[];
  sessions: SessionRow[];
  /** Group epoch setup per provider; absent in result files of earlier versions. */
  epochs?: EpochRow[];
  overhead: OverheadRow[];
  memory: MemoryRow | null;
  browser: BrowserResult;
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new RangeError(`--${name} must be a positive integer, got '${value}'`);
  }
  return parsed;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<number> {
  // pnpm forwards a '--' separator when called as `pnpm bench -- --quick`.
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv[0] === '--' ? argv.slice(1) : argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      window: { type: 'string' },
      messages: { type: 'string' },
      providers: { type: 'boolean', default: false },
      calibrate: { type: 'boolean', default: false },
      'skip-throughput': { type: 'boolean', default: false },
      'skip-crypto': { type: 'boolean', default: false },
      'skip-browser': { type: 'boolean', default: false },
      embedded: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    log(HELP);
    return 0;
  }
  const quick = values.quick;
  const rounds = positiveInteger(values.rounds, 'rounds', quick ? 1 : 7);
  const window = positiveInteger(values.window, 'window', 64);
  const qos0Messages = positiveInteger(values.messages, 'messages', quick ? 2000 : 60_000);
  const messages = { 0: qos0Messages, 1: Math.max(1, Math.floor(qos0Messages / 2)) } as const;
  const rate: RateOptions = quick
    ? { sampleMs: 20, samples: 1, warmupMs: 10 }
    : { sampleMs: 100, samples: 5, warmupMs: 100 };
  const distDir = dirname(fileURLToPath(import.meta.url));
  const out = resolve(values.out ?? resolve(distDir, '..', 'results', quick ? 'quick.tmp.json' : 'latest.json'));

  const loadAtStart = currentLoad();
  if (loadAtStart > cpus().length / 2) {
    log(`NOTE: load average ${loadAtStart} on ${cpus().length} CPUs at start: other processes compete, so rates will vary more.`);
  }
  const providers = await loadProviders();
  const fastest = providers.fastest;
  log(`mqtt-e2ee bench: fastest provider ${fastest.name} via ${providers.fastestSource}`);
  for (const missing of providers.missing) log(`  provider ${missing.name} not measured: ${missing.reason}`);

  let throughput: ThroughputRow[] = [];
  let brokerInfo: BenchResults['broker'] = null;
  if (!values['skip-throughput']) {
    const broker = await openBroker(values.embedded);
    brokerInfo = { kind: broker.kind, url: broker.url, version: broker.version };
    if (broker.note !== undefined) {
      brokerInfo.note = broker.note;
      log(`NOTE: ${broker.note}`);
    }
    log(`MQTT throughput through ${broker.kind} at ${broker.url}, ${PAYLOAD_BYTES}-byte payloads, window ${window}`);
    try {
      throughput = await runThroughputSuite({
        brokerUrl: broker.url,
        rounds,
        warmupMessages: Math.min(5000, qos0Messages),
        messages,
        window,
        payloadBytes: PAYLOAD_BYTES,
        fastest,
        calibrate: values.calibrate,
        others: values.providers
          ? providers.entries.map((entry) => entry.provider).filter((provider) => provider.name !== fastest.name)
          : [],
        log,
      });
    } finally {
      await broker.stop();
    }
  }

  const crypto: CryptoRow[] = [];
  const sessions: SessionRow[] = [];
  const epochs: EpochRow[] = [];
  let memory: MemoryRow | null = null;
  if (!values['skip-crypto']) {
    log('Envelope crypto rates per provider (one child process each)');
    for (const entry of providers.entries) {
      const measured = await measureProviderInChild(entry.provider.name, quick ? [PAYLOAD_BYTES] : CRYPTO_SIZES, rate);
      crypto.push(...measured.crypto);
      sessions.push(measured.sessions);
      epochs.push(measured.epochs);
    }
    log('Memory of cached sessions (child process)');
    memory = await measureMemory(quick ? 500 : 10_000);
  }

  let browser: BrowserResult = { status: 'not measured', note: 'skipped with --skip-browser', rows: [] };
  if (!values['skip-browser']) {
    log('Envelope open rate in headless Chromium');
    browser = await measureBrowser({ sizes: BROWSER_SIZES, rounds: quick ? 3 : 9, log });
  }

  const results: BenchResults = {
    schema: 1,
    generated_at: new Date().toISOString(),
    quick,
    machine: machineInfo(loadAtStart),
    broker: brokerInfo,
    method: {
      payload_bytes: PAYLOAD_BYTES,
      window,
      rounds,
      messages_per_run: { qos0: messages[0], qos1: messages[1] },
      statistic:
        'rates: median over rounds; ratio: median over rounds of encrypted/plaintext within the round; modes alternate within each round, order rotating',
      crypto_timing: rate,
    },
    fastest_provider: { name: fastest.name, source: providers.fastestSource },
    providers_missing: providers.missing,
    throughput,
    crypto,
    sessions,
    epochs,
    overhead: [...measureDirectOverhead(fastest, PAYLOAD_BYTES), ...measureGroupOverhead(fastest, PAYLOAD_BYTES)],
    memory,
    browser,
  };
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  printSummary(results, log);
  log(`\nResults written to ${out}`);
  const unclean = throughput.filter((row) => row.lost + row.duplicated + row.corrupted + row.failures > 0);
  if (unclean.length > 0) {
    log(`FAILED: ${unclean.length} throughput rows lost, duplicated or corrupted messages; see the rows above.`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
