import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { encodePublicKey } from '@mqtt-e2ee/key-exchange';
import { readPublicKeyFile, writeIdentityFiles, type IdentityFiles } from '@mqtt-e2ee/key-exchange/fs';
import { connectE2ee, type E2eeClient } from '@mqtt-e2ee/node-client';
import { openBroker, type DemoBroker } from './broker.js';
import { Eavesdropper } from './eavesdropper.js';
import { Inbox } from './inbox.js';
import { createKeyDir, removeKeyDir } from './key-dir.js';
import type { DemoOptions } from './options.js';
import { buildReport, countOf, type DemoReport } from './report.js';
import { sha256Hex, splitFileLines } from './verify.js';

/** Maximum number of publishes awaiting their QoS flow. A further publish waits for a free slot. */
const MAX_IN_FLIGHT = 64;
/** Time allowed for delivery: a fixed part plus a part per message, in milliseconds. */
const DELIVERY_BASE_MS = 15_000;
const DELIVERY_PER_MESSAGE_MS = 20;

/** Everything the demo measured, before it is judged in {@link buildReport}. */
export interface DemoRun {
  broker: string;
  file: string;
  content: Buffer;
  lines: Buffer[];
  inbox: Inbox;
  eavesdropper: Eavesdropper;
  prefix: string;
  /** Milliseconds from the first line publish until the last line arrived, if all arrived. */
  linesElapsedMs?: number;
}

type Log = (line: string) => void;

/**
 * Runs the demo and returns the measured and checked result. It sets up the broker, two
 * identities, the eavesdropper, the recipient and the sender, then streams the file line by
 * line and then whole. It throws only when the setup fails, such as a refused connection.
 */
export async function runDemo(options: DemoOptions, log: Log = () => undefined): Promise<DemoReport> {
  const content = await readFile(options.file);
  const lines = splitFileLines(content);
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const broker = await openBroker(options);
    cleanups.push(() => broker.stop());
    const dir = await createKeyDir();
    cleanups.push(() => removeKeyDir(dir));
    const sender = await writeIdentityFiles(join(dir, 'sender'));
    const recipient = await writeIdentityFiles(join(dir, 'recipient'));
    const prefix = `mqtt-e2ee-demo/${randomBytes(6).toString('hex')}`;
    const shownFile = relative(process.env['INIT_CWD'] ?? process.cwd(), options.file) || options.file;
    log(`Broker:     ${broker.description}`);
    log(`Identities: sender ${sender.keyId} and recipient ${recipient.keyId}, key files in ${dir}`);
    log(`File:       ${shownFile}, ${countOf(lines.length, 'line')}, ${countOf(content.length, 'byte')}, SHA-256 ${sha256Hex(content)}`);
    log('');

    const eavesdropper = await Eavesdropper.start(broker.url, broker.shownUrl, broker.mqtt);
    cleanups.push(() => eavesdropper.stop());
    log("1. An eavesdropper, a plain MQTT client without keys, subscribes to '#' and records all payloads.");

    const { client: receiving, inbox } = await startRecipient(broker, recipient, sender, prefix, options.qos);
    cleanups.push(() => receiving.end(true));
    const run: DemoRun = { broker: broker.description, file: shownFile, content, lines, inbox, eavesdropper, prefix };
    log(`2. The recipient subscribes to ${prefix}/telemetry/# and accepts only the sender's key.`);

    const sending = await connectE2ee(broker.url, { identity: sender.secretKeyPath, mqtt: clientOptions(broker, 'sender') });
    cleanups.push(() => sending.end(true));
    const recipientKey = encodePublicKey(await readPublicKeyFile(recipient.publicKeyPath));
    await sendLines(run, sending, recipientKey, options.qos, log);
    await sendWholeFile(run, sending, recipientKey, options.qos, log);

    const expected = lines.length + 1;
    await eavesdropper.waitFor(prefix, expected, deliveryTimeout(expected));
    return buildReport(run, log);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

function clientOptions(broker: DemoBroker, role: string) {
  return { ...broker.mqtt, clientId: `mqtt-e2ee-demo-${role}-${randomBytes(4).toString('hex')}`, reconnectPeriod: 0 };
}

function deliveryTimeout(messages: number): number {
  return DELIVERY_BASE_MS + messages * DELIVERY_PER_MESSAGE_MS;
}

async function startRecipient(
  broker: DemoBroker,
  recipient: IdentityFiles,
  sender: IdentityFiles,
  prefix: string,
  qos: 0 | 1 | 2,
): Promise<{ client: E2eeClient; inbox: Inbox }> {
  const senderKey = encodePublicKey(await readPublicKeyFile(sender.publicKeyPath));
  const client = await connectE2ee(broker.url, {
    identity: recipient.secretKeyPath,
    peers: [senderKey],
    mqtt: clientOptions(broker, 'recipient'),
  });
  const inbox = new Inbox(client, `${prefix}/telemetry/lines`, `${prefix}/telemetry/file`);
  await client.subscribe(`${prefix}/telemetry/#`, { qos, from: [senderKey] });
  return { client, inbox };
}

async function sendLines(run: DemoRun, client: E2eeClient, to: string, qos: 0 | 1 | 2, log: Log): Promise<void> {
  const topic = `${run.prefix}/telemetry/lines`;
  log(`3. The sender publishes the ${countOf(run.lines.length, 'line')}, one message each at QoS ${qos}, to ${topic}.`);
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (const line of run.lines) {
    const pending: Promise<void> = client.publish(topic, line, { to, qos }).finally(() => inFlight.delete(pending));
    inFlight.add(pending);
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const total = run.lines.length;
  const arrived = await run.inbox.waitUntil(() => run.inbox.lines.length >= total, deliveryTimeout(total));
  if (arrived) run.linesElapsedMs = performance.now() - started;
  log(`   The recipient decrypted ${run.inbox.lines.length} of ${countOf(total, 'line message')}.`);
}

async function sendWholeFile(run: DemoRun, client: E2eeClient, to: string, qos: 0 | 1 | 2, log: Log): Promise<void> {
  const topic = `${run.prefix}/telemetry/file`;
  log(`4. The sender publishes the whole file, ${countOf(run.content.length, 'byte')}, as one message to ${topic}.`);
  await client.publish(topic, run.content, { to, qos });
  await run.inbox.waitUntil(() => run.inbox.files.length >= 1, deliveryTimeout(1));
  const received = run.inbox.files[0];
  const digest = received === undefined ? 'nothing' : `SHA-256 ${sha256Hex(received)}`;
  log(`   The recipient decrypted ${countOf(received?.byteLength ?? 0, 'byte')}, ${digest}.`);
}
