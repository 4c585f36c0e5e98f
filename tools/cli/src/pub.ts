import { connectE2ee, type E2eeClient } from '@mqtt-e2ee/node-client';
import { brokerTarget, closeClient, describeTarget } from './connection.js';
import { CommandError, UsageError, errorCode, oneLine } from './errors.js';
import { MAX_PLAINTEXT_BYTES, MQTT_MAX_PACKET_BYTES, formatBytes, readAll, readMessageFile, readMessages, tooLargeText } from './input.js';
import { Reporter, type CommandIo } from './io.js';
import { loadIdentity, resolvePublicKeys, resolveRecipients } from './keys.js';
import { keyExchangeOption } from './kx.js';
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
  const recipients = options.kx === undefined ? await resolvePublicKeys('--to', options.to) : await resolveRecipients('--to', options.to);
  // Sources that are read whole are read before connecting, so a missing file fails fast.
  const source = await preload(options.source, io.stdin);
  const target = await brokerTarget(options.connection, { cleanSession: true, reconnectPeriodMs: 0 });
  reporter.debug(() => describeTarget(target, options.connection));

  let client: E2eeClient;
  try {
    // With key exchange the identity is passed as its path, so that a signing key can be added
    // to the file and the state file beside it is used.
    client =
      options.kx === undefined
        ? await connectE2ee(target.url, { identity, mqtt: target.mqtt })
        : await connectE2ee(target.url, { identity: options.identity, keyExchange: keyExchangeOption(options.kx), mqtt: target.mqtt });
  } catch (error) {
    // Key exchange failures keep their own code, such as ERR_NOT_AUTHORIZED or ERR_RETAIN_UNAVAILABLE.
    const code = options.kx === undefined ? 'ERR_CONNECT' : (errorCode(error) ?? 'ERR_CONNECT');
    throw new CommandError(code, oneLine(error), { cause: error });
  }
  const audience = options.group === undefined ? `${recipients.length} recipient(s)` : `group ${options.group.id} (${options.group.members.length} members)`;
  reporter.debug(`connected; sending to ${options.topic} for ${audience}`);
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
  const group =
    options.group === undefined
      ? undefined
      : client.group({ groupId: options.group.id, topics: [options.topic], members: options.group.members, sign: options.group.sign });
  const send = (payload: Uint8Array): Promise<void> =>
    group === undefined
      ? client.publish(options.topic, payload, { to: recipients, qos: options.qos, retain: options.retain })
      : group.publish(options.topic, payload, { qos: options.qos, retain: options.retain });
  for await (const payload of messages) {
    if (failure !== undefined) break;
    count += 1;
    const number = count;
    const pending = send(payload)
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
