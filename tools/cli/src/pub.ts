import { connectE2ee, type E2eeClient } from '@mqtt-e2ee/node-client';
import { brokerTarget, closeClient, describeTarget } from './connection.js';
import { CommandError, UsageError, errorCode, oneLine } from './errors.js';
import { MAX_PLAINTEXT_BYTES, MQTT_MAX_PACKET_BYTES, formatBytes, readAll, readMessageFile, readMessages, tooLargeText } from './input.js';
import { Reporter, type CommandIo } from './io.js';
import { loadIdentity, resolvePublicKeys } from './keys.js';
import type { MessageSource, PubOptions } from './parse.js';

/** Maximum number of publishes awaiting their QoS flow. Reading the next message waits for a free slot. */
const MAX_IN_FLIGHT = 32;

/** Runs `mqtt-e2ee pub`: encrypts each message for every recipient and publishes it. */
export async function runPub(options: PubOptions, io: CommandIo): Promise<void> {
  const reporter = new Reporter(io.stderr, 'pub', options.connection.debug);
  if (options.retain && options.to.length > 1) {
    throw new UsageError('-r/--retain allows one --to only, because the broker keeps one retained message per topic');
  }
  const identity = await loadIdentity(options.identity);
  const recipients = await resolvePublicKeys('--to', options.to);
  // Sources that are read whole are read before connecting, so a missing file fails fast.
  const source = await preload(options.source, io.stdin);
  const target = await brokerTarget(options.connection, { cleanSession: true, reconnectPeriodMs: 0 });
  reporter.debug(() => describeTarget(target, options.connection));

  let client: E2eeClient;
  try {
    client = await connectE2ee(target.url, { identity, mqtt: target.mqtt });
  } catch (error) {
    throw new CommandError('ERR_CONNECT', oneLine(error), { cause: error });
  }
  reporter.debug(`connected; sending to ${options.topic} for ${recipients.length} recipient(s)`);
  try {
    const sent = await publishAll(client, options, recipients, source, io.stdin, reporter);
    reporter.debug(`sent ${sent} message(s)`);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ERR_TOO_LARGE' || code === 'ERR_MESSAGE_TOO_LARGE') {
      throw new CommandError('ERR_MESSAGE_TOO_LARGE', describeTooLarge(error), { cause: error });
    }
    throw new CommandError(code ?? 'ERR_PUBLISH', oneLine(error), { cause: error });
  } finally {
    await closeClient(client);
  }
}

type Preloaded = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'source'; source: MessageSource };

async function preload(source: MessageSource, stdin: CommandIo['stdin']): Promise<Preloaded> {
  if (source.kind === 'file') return { kind: 'bytes', bytes: await readMessageFile(source.path) };
  if (source.kind === 'stdin-all') return { kind: 'bytes', bytes: await readAll(stdin, MAX_PLAINTEXT_BYTES) };
  return { kind: 'source', source };
}

async function publishAll(
  client: E2eeClient,
  options: PubOptions,
  recipients: string[],
  preloaded: Preloaded,
  stdin: CommandIo['stdin'],
  reporter: Reporter,
): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let count = 0;
  const messages = preloaded.kind === 'bytes' ? single(preloaded.bytes) : readMessages(preloaded.source, stdin);
  for await (const payload of messages) {
    if (failure !== undefined) break;
    count += 1;
    const number = count;
    const pending = client
      .publish(options.topic, payload, { to: recipients, qos: options.qos, retain: options.retain })
      .then(
        () => reporter.debug(`message ${number} (${payload.byteLength} bytes of plaintext) sent, QoS ${options.qos} flow complete`),
        (error: unknown) => {
          failure ??= error;
        },
      )
      .finally(() => inFlight.delete(pending));
    inFlight.add(pending);
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return count;
}

/**
 * Describes an envelope that the sealer (ERR_TOO_LARGE) or the client (ERR_MESSAGE_TOO_LARGE)
 * rejected for its size. The library messages suggest options that the command line does not have.
 */
export function describeTooLarge(error: unknown): string {
  const { size, limit } = error as { size?: unknown; limit?: unknown };
  const maximum = typeof limit === 'number' ? limit : MQTT_MAX_PACKET_BYTES;
  const sizeText = typeof size === 'number' ? `${formatBytes(size)} bytes` : `more than ${formatBytes(maximum)} bytes`;
  if (maximum < MQTT_MAX_PACKET_BYTES) {
    return `the encrypted message is ${sizeText}, more than the ${formatBytes(maximum)} bytes the broker accepts in one packet; send smaller messages, or raise the broker's maximum packet size`;
  }
  return tooLargeText('the encrypted message', sizeText);
}

async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
