/**
 * Throughput rounds: plaintext and encrypted runs alternate in one process, each run on a fresh
 * pair of connections and a fresh topic, and the median of each mode is reported.
 */
import { randomBytes } from 'node:crypto';
import { Flow, type FlowOptions, type FlowResult } from './flow.js';
import type { LinkFactory, QoS } from './links.js';
import { median } from './stats.js';

export interface ModeSpec {
  /** Short id used in topics and JSON, such as 'plaintext' or 'direct'. */
  id: string;
  factory: LinkFactory;
}

export interface RoundsOptions {
  brokerUrl: string;
  qos: QoS;
  rounds: number;
  /** Messages of the unmeasured warm-up run per mode. */
  warmupMessages: number;
  flow: FlowOptions;
  /** Called after each run, for progress output. */
  onRun?: (mode: string, round: number, result: FlowResult) => void;
}

export interface ModeSummary {
  id: string;
  runs: FlowResult[];
  medianMsgsPerS: number;
  medianP50Ms: number;
  medianP99Ms: number;
  medianCpuUsPerMsg: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  failures: number;
  firstFailure?: string;
}

const RUN_PREFIX = `mqtt-e2ee-bench/${randomBytes(6).toString('hex')}`;
let runCounter = 0;

/** Runs one flow on a fresh link and topic, and closes the link. */
export async function runOnce(
  factory: LinkFactory,
  brokerUrl: string,
  qos: QoS,
  modeId: string,
  flow: FlowOptions,
): Promise<FlowResult> {
  const topic = `${RUN_PREFIX}/${modeId}/q${qos}/${runCounter++}`;
  const counter = new Flow(flow);
  const link = await factory({ brokerUrl, topic, qos, sink: counter });
  try {
    return await counter.run(link);
  } finally {
    await link.close();
  }
}

/**
 * Warms every mode up once, then runs `rounds` rounds. The order of modes rotates each round so
 * that no mode always runs first or last.
 */
export async function runRounds(modes: readonly ModeSpec[], options: RoundsOptions): Promise<ModeSummary[]> {
  const warmup = { ...options.flow, messages: options.warmupMessages };
  for (const mode of modes) await runOnce(mode.factory, options.brokerUrl, options.qos, mode.id, warmup);
  const runs = new Map<string, FlowResult[]>(modes.map((mode) => [mode.id, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < modes.length; i++) {
      const mode = modes[(i + round) % modes.length] as ModeSpec;
      const result = await runOnce(mode.factory, options.brokerUrl, options.qos, mode.id, options.flow);
      runs.get(mode.id)?.push(result);
      options.onRun?.(mode.id, round, result);
    }
  }
  return modes.map((mode) => summarize(mode.id, runs.get(mode.id) ?? []));
}

function summarize(id: string, runs: FlowResult[]): ModeSummary {
  const sum = (pick: (run: FlowResult) => number): number => runs.reduce((total, run) => total + pick(run), 0);
  const summary: ModeSummary = {
    id,
    runs,
    medianMsgsPerS: median(runs.map((run) => run.msgsPerS)),
    medianP50Ms: median(runs.map((run) => run.p50Ms)),
    medianP99Ms: median(runs.map((run) => run.p99Ms)),
    medianCpuUsPerMsg: median(runs.map((run) => run.cpuUsPerMsg)),
    lost: sum((run) => run.lost),
    duplicated: sum((run) => run.duplicated),
    corrupted: sum((run) => run.corrupted),
    failures: sum((run) => run.failures),
  };
  const failed = runs.find((run) => run.firstFailure !== undefined);
  if (failed?.firstFailure !== undefined) summary.firstFailure = failed.firstFailure;
  return summary;
}
