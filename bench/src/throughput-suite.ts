/** The MQTT throughput part of the suite: modes, rounds, ratios against plaintext and targets. */
import type { CryptoProvider } from '@mqtt-e2ee/envelope';
import type { FlowOptions } from './flow.js';
import { loadGroupMode } from './group.js';
import { busyPlaintextLink, directClientLink, envelopeCost, envelopeLink, plaintextLink, type QoS } from './links.js';
import { median } from './stats.js';
import { runRounds, type ModeSpec, type ModeSummary } from './throughput.js';

/** Minimum encrypted/plaintext rate ratio at 1 KiB with the fastest provider, per QoS. */
export const TARGET_RATIO: Record<QoS, number> = { 0: 0.75, 1: 0.85 };

export interface ThroughputRow {
  mode: string;
  qos: QoS;
  provider: string | null;
  payload_bytes: number;
  status: 'measured' | 'not yet measured';
  note: string;
  plaintext_msgs_per_s: number;
  e2ee_msgs_per_s: number | null;
  /** Median over rounds of (encrypted rate / plaintext rate of the same round). */
  ratio: number | null;
  /** Median encrypted rate / median plaintext rate, for comparison. */
  ratio_of_medians: number | null;
  /** Set on the rows the targets apply to: direct and group mode with the fastest provider. */
  target_ratio: number | null;
  meets_target: boolean | null;
  p50_ms: number | null;
  p99_ms: number | null;
  plaintext_p50_ms: number;
  plaintext_p99_ms: number;
  /** Median CPU time of the Node.js process per message (publisher and subscriber, no broker). */
  e2ee_cpu_us_per_msg: number | null;
  plaintext_cpu_us_per_msg: number;
  /**
   * Median over rounds of (plaintext CPU per message / encrypted CPU per message): the rate ratio
   * that the Node.js process alone would allow if it were the only limit.
   */
  cpu_ratio: number | null;
  messages_per_run: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  failures: number;
  first_failure?: string;
  runs_msgs_per_s: number[];
  plaintext_runs_msgs_per_s: number[];
}

export interface ThroughputSuiteOptions {
  brokerUrl: string;
  rounds: number;
  warmupMessages: number;
  messages: Record<QoS, number>;
  window: number;
  payloadBytes: number;
  fastest: CryptoProvider;
  /** Other providers that also run in direct mode, for comparison (--providers). */
  others: CryptoProvider[];
  /** Adds the plaintext run with a busy loop as long as one seal and one open (--calibrate). */
  calibrate: boolean;
  log: (line: string) => void;
}

interface ModeInfo {
  spec: ModeSpec;
  mode: string;
  provider: string;
  targeted: boolean;
  note: string;
}

async function modeList(options: ThroughputSuiteOptions): Promise<{ modes: ModeInfo[]; groupNote: string | undefined }> {
  const fastest = options.fastest;
  const modes: ModeInfo[] = [
    {
      spec: { id: 'direct', factory: directClientLink(fastest) },
      mode: 'direct',
      provider: fastest.name,
      targeted: true,
      note: 'E2eeClient.publish to one recipient and the message event (@mqtt-e2ee/node-client)',
    },
    {
      spec: { id: 'direct-envelope', factory: envelopeLink(fastest) },
      mode: 'direct, envelope only',
      provider: fastest.name,
      targeted: false,
      note: 'EnvelopeSealer and EnvelopeOpener on bare MQTT.js clients, without the client wrapper',
    },
  ];
  const group = loadGroupMode(fastest);
  if (group.factory !== undefined) {
    modes.push({ spec: { id: 'group', factory: group.factory }, mode: 'group', provider: fastest.name, targeted: true, note: group.note });
  }
  for (const provider of options.others) {
    modes.push({
      spec: { id: `direct-${provider.name}`, factory: directClientLink(provider) },
      mode: 'direct',
      provider: provider.name,
      targeted: false,
      note: `as direct, with the ${provider.name} provider`,
    });
  }
  if (options.calibrate) {
    const cost = envelopeCost(fastest, options.payloadBytes);
    const micros = (cost.sealNs + cost.openNs) / 1000;
    options.log(`  calibration: seal ${(cost.sealNs / 1000).toFixed(2)} us + open ${(cost.openNs / 1000).toFixed(2)} us per message (${fastest.name})`);
    modes.push({
      spec: { id: 'plaintext-busy', factory: busyPlaintextLink(cost.sealNs, cost.openNs) },
      mode: 'plaintext + busy loop',
      provider: fastest.name,
      targeted: false,
      note: `plaintext MQTT.js with a busy loop of ${micros.toFixed(2)} us per message, the time of one seal plus one open with ${fastest.name}, and no encryption`,
    });
  }
  return { modes, groupNote: group.factory === undefined ? group.note : undefined };
}

/** Runs both QoS levels and returns one row per encrypted mode and QoS. */
export async function runThroughputSuite(options: ThroughputSuiteOptions): Promise<ThroughputRow[]> {
  const { modes, groupNote } = await modeList(options);
  const rows: ThroughputRow[] = [];
  for (const qos of [0, 1] as const) {
    const flow: FlowOptions = {
      messages: options.messages[qos],
      window: options.window,
      payloadBytes: options.payloadBytes,
      idleTimeoutMs: 5000,
      graceMs: 50,
    };
    const specs = [{ id: 'plaintext', factory: plaintextLink }, ...modes.map((mode) => mode.spec)];
    const summaries = await runRounds(specs, {
      brokerUrl: options.brokerUrl,
      qos,
      rounds: options.rounds,
      warmupMessages: options.warmupMessages,
      flow,
      onRun: (id, round, result) =>
        options.log(
          `  QoS ${qos} round ${round + 1}/${options.rounds} ${id.padEnd(16)} ${Math.round(result.msgsPerS)
            .toString()
            .padStart(6)} msgs/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  cpu ${result.cpuUsPerMsg.toFixed(1)} us/msg` +
            (result.lost + result.duplicated + result.corrupted + result.failures > 0
              ? `  lost ${result.lost} duplicated ${result.duplicated} corrupted ${result.corrupted} failures ${result.failures}`
              : ''),
        ),
    });
    const plaintext = summaries[0] as ModeSummary;
    modes.forEach((mode, index) => rows.push(measuredRow(mode, qos, plaintext, summaries[index + 1] as ModeSummary, flow)));
    if (groupNote !== undefined) rows.push(unmeasuredGroupRow(qos, plaintext, groupNote, options));
  }
  return rows;
}

function measuredRow(mode: ModeInfo, qos: QoS, plaintext: ModeSummary, summary: ModeSummary, flow: FlowOptions): ThroughputRow {
  const ratio = median(summary.runs.map((run, round) => run.msgsPerS / (plaintext.runs[round]?.msgsPerS ?? Number.NaN)));
  const target = mode.targeted ? TARGET_RATIO[qos] : null;
  const row: ThroughputRow = {
    mode: mode.mode,
    qos,
    provider: mode.provider,
    payload_bytes: flow.payloadBytes,
    status: 'measured',
    note: mode.note,
    plaintext_msgs_per_s: plaintext.medianMsgsPerS,
    e2ee_msgs_per_s: summary.medianMsgsPerS,
    ratio,
    ratio_of_medians: summary.medianMsgsPerS / plaintext.medianMsgsPerS,
    target_ratio: target,
    meets_target: target === null ? null : ratio >= target,
    p50_ms: summary.medianP50Ms,
    p99_ms: summary.medianP99Ms,
    plaintext_p50_ms: plaintext.medianP50Ms,
    plaintext_p99_ms: plaintext.medianP99Ms,
    e2ee_cpu_us_per_msg: summary.medianCpuUsPerMsg,
    plaintext_cpu_us_per_msg: plaintext.medianCpuUsPerMsg,
    cpu_ratio: median(summary.runs.map((run, round) => (plaintext.runs[round]?.cpuUsPerMsg ?? Number.NaN) / run.cpuUsPerMsg)),
    messages_per_run: flow.messages,
    lost: summary.lost + plaintext.lost,
    duplicated: summary.duplicated + plaintext.duplicated,
    corrupted: summary.corrupted + plaintext.corrupted,
    failures: summary.failures + plaintext.failures,
    runs_msgs_per_s: summary.runs.map((run) => run.msgsPerS),
    plaintext_runs_msgs_per_s: plaintext.runs.map((run) => run.msgsPerS),
  };
  const firstFailure = summary.firstFailure ?? plaintext.firstFailure;
  if (firstFailure !== undefined) row.first_failure = firstFailure;
  return row;
}

function unmeasuredGroupRow(qos: QoS, plaintext: ModeSummary, note: string, options: ThroughputSuiteOptions): ThroughputRow {
  return {
    mode: 'group',
    qos,
    provider: null,
    payload_bytes: options.payloadBytes,
    status: 'not yet measured',
    note,
    plaintext_msgs_per_s: plaintext.medianMsgsPerS,
    e2ee_msgs_per_s: null,
    ratio: null,
    ratio_of_medians: null,
    target_ratio: TARGET_RATIO[qos],
    meets_target: null,
    p50_ms: null,
    p99_ms: null,
    plaintext_p50_ms: plaintext.medianP50Ms,
    plaintext_p99_ms: plaintext.medianP99Ms,
    e2ee_cpu_us_per_msg: null,
    plaintext_cpu_us_per_msg: plaintext.medianCpuUsPerMsg,
    cpu_ratio: null,
    messages_per_run: options.messages[qos],
    lost: plaintext.lost,
    duplicated: plaintext.duplicated,
    corrupted: plaintext.corrupted,
    failures: plaintext.failures,
    runs_msgs_per_s: [],
    plaintext_runs_msgs_per_s: plaintext.runs.map((run) => run.msgsPerS),
  };
}
