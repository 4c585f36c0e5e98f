import { SenderNotAllowedError, connectE2ee, type E2eeClient, type E2eeMessage } from '@mqtt-e2ee/node-client';
import type { ISubscriptionGrant } from 'mqtt';
import { brokerTarget, closeClient, describeTarget } from './connection.js';
import { CommandError, errorCode, oneLine } from './errors.js';
import { Reporter, flush, type CommandIo } from './io.js';
import { loadIdentity, resolvePublicKeys } from './keys.js';
import { keyExchangeOption } from './kx.js';
import { formatMessage } from './output.js';
import type { SubOptions } from './parse.js';

/** Milliseconds between reconnect attempts after the connection to the broker was lost. */
const RECONNECT_PERIOD_MS = 1000;

/** Lowest SUBACK code of a rejected subscription: 0x80 in MQTT 3.1.1, and every code from 0x80 up in MQTT 5. */
const SUBACK_FAILURE = 0x80;

type Outcome = { kind: 'done' } | { kind: 'timeout' } | { kind: 'failed'; error: CommandError };

/** Runs `mqtt-e2ee sub`: subscribes, then decrypts and prints messages from the accepted senders. */
export async function runSub(options: SubOptions, io: CommandIo): Promise<void> {
  const reporter = new Reporter(io.stderr, 'sub', options.connection.debug);
  const identity = await loadIdentity(options.identity);
  const senders = await resolvePublicKeys('--from', options.from);
  const target = await brokerTarget(options.connection, {
    cleanSession: options.cleanSession,
    reconnectPeriodMs: RECONNECT_PERIOD_MS,
  });
  reporter.debug(() => describeTarget(target, options.connection));

  let client: E2eeClient;
  try {
    // With key exchange, senders come from verified announcements and --from only narrows them.
    client =
      options.kx === undefined
        ? await connectE2ee(target.url, { identity, peers: senders, mqtt: target.mqtt })
        : await connectE2ee(target.url, { identity: options.identity, keyExchange: keyExchangeOption(options.kx), mqtt: target.mqtt });
  } catch (error) {
    const code = options.kx === undefined ? 'ERR_CONNECT' : (errorCode(error) ?? 'ERR_CONNECT');
    throw new CommandError(code, oneLine(error), { cause: error });
  }
  reporter.debug(`connected as key id ${client.keyId}`);
  const session = new SubSession(client, options, io, reporter);
  let outcome: Outcome;
  try {
    outcome = await session.run(senders);
  } finally {
    session.detach();
    await closeClient(client);
    await flush(io.stdout);
  }
  if (outcome.kind === 'failed') throw outcome.error;
  if (outcome.kind === 'timeout' && options.count !== undefined && session.received < options.count) {
    throw new CommandError(
      'ERR_TIMEOUT',
      `timed out after ${options.timeoutSeconds} s with ${session.received} of ${options.count} messages; raise -W or check the publisher`,
    );
  }
}

/** The part of `sub` between connecting and disconnecting: subscribe, print, stop. */
class SubSession {
  received = 0;
  readonly #client: E2eeClient;
  readonly #options: SubOptions;
  readonly #io: CommandIo;
  readonly #reporter: Reporter;
  readonly #cleanups: (() => void)[] = [];
  #finish: (outcome: Outcome) => void = () => undefined;
  #finished = false;

  constructor(client: E2eeClient, options: SubOptions, io: CommandIo, reporter: Reporter) {
    this.#client = client;
    this.#options = options;
    this.#io = io;
    this.#reporter = reporter;
  }

  /** Resolves when -C is reached, -W expires, the signal aborts, stdout closes or subscribing fails. */
  run(senders: string[]): Promise<Outcome> {
    const done = new Promise<Outcome>((resolve) => {
      this.#finish = (outcome) => {
        if (this.#finished) return;
        this.#finished = true;
        resolve(outcome);
      };
    });
    this.#attach();
    void this.#subscribe(senders);
    return done;
  }

  detach(): void {
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
  }

  #attach(): void {
    const client = this.#client;
    const reporter = this.#reporter;
    this.#on(client, 'message', (message: E2eeMessage) => this.#print(message));
    this.#on(client, 'decrypt-error', (error: Error & { topic: string }) => {
      reporter.error(`rejected a message on topic '${error.topic}': ${errorCode(error) ?? 'ERR_UNKNOWN'} (${describeRejection(error)})`);
    });
    this.#on(client, 'skipped', (skipped: { topic: string; recipientKeyId: string }) => {
      reporter.debug(`skipped an envelope on '${skipped.topic}' for recipient key id ${skipped.recipientKeyId}`);
    });
    this.#on(client, 'error', (error: Error) => reporter.error(`connection error: ${oneLine(error)}`));
    this.#on(client, 'key', (event: { type: string; clientId?: string; error?: Error }) => {
      // A key change without a valid rotation is the trust-on-first-use alarm, so it is always printed.
      if (event.type === 'changed' || (event.type === 'rejected' && event.error !== undefined)) {
        reporter.error(`key of ${event.clientId ?? 'a client'} ${event.type}: ${event.error === undefined ? '' : oneLine(event.error)}`);
      } else {
        reporter.debug(`key ${event.type} for ${event.clientId ?? 'a client'}`);
      }
    });
    this.#on(client, 'offline', () => reporter.error(`connection lost; reconnecting every ${RECONNECT_PERIOD_MS} ms`));
    this.#on(client, 'connect', () => reporter.debug('reconnected'));
    const onStdoutError = (): void => this.#finish({ kind: 'done' });
    this.#io.stdout.on('error', onStdoutError);
    this.#cleanups.push(() => this.#io.stdout.off('error', onStdoutError));
    const signal = this.#io.signal;
    if (signal !== undefined) {
      const onAbort = (): void => this.#finish({ kind: 'done' });
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }
  }

  #on<A extends unknown[]>(client: E2eeClient, event: string, listener: (...args: A) => void): void {
    const untyped = client as unknown as NodeJS.EventEmitter;
    const wrapped = listener as (...args: unknown[]) => void;
    untyped.on(event, wrapped);
    this.#cleanups.push(() => untyped.off(event, wrapped));
  }

  async #subscribe(senders: string[]): Promise<void> {
    const { topics, qos } = this.#options;
    let grants: ISubscriptionGrant[];
    try {
      grants = await this.#client.subscribe(topics, senders.length === 0 ? { qos } : { qos, from: senders });
    } catch (error) {
      this.#finish({ kind: 'failed', error: new CommandError('ERR_SUBSCRIBE', oneLine(error), { cause: error }) });
      return;
    }
    const rejected = grants.filter((grant) => grant.qos >= SUBACK_FAILURE);
    if (rejected.length > 0) {
      const list = rejected.map((grant) => `'${grant.topic}' (code ${grant.qos})`).join(', ');
      const error = new CommandError('ERR_SUBSCRIBE', `the broker rejected the subscription to ${list}; check the topic filter and the broker ACL`);
      this.#finish({ kind: 'failed', error });
      return;
    }
    this.#reporter.debug(() => `subscribed to ${grants.map((grant) => `'${grant.topic}' at QoS ${grant.qos}`).join(', ')}`);
    this.#startTimeout();
  }

  #startTimeout(): void {
    const seconds = this.#options.timeoutSeconds;
    if (seconds === undefined) return;
    const timer = setTimeout(() => this.#finish({ kind: 'timeout' }), seconds * 1000);
    this.#cleanups.push(() => clearTimeout(timer));
  }

  #print(message: E2eeMessage): void {
    if (this.#finished) return;
    this.received += 1;
    this.#reporter.debug(
      () =>
        `message ${this.received} on '${message.topic}' from ${message.sender.clientId === undefined ? '' : `client ${message.sender.clientId}, `}` +
        `key id ${message.sender.keyId}${message.group === undefined ? '' : `, group ${message.group}`} (${message.payload.byteLength} bytes, seq ${message.seq})`,
    );
    this.#io.stdout.write(formatMessage(message.topic, message.payload, this.#options));
    if (this.#options.count !== undefined && this.received >= this.#options.count) this.#finish({ kind: 'done' });
  }
}

/** Describes why a message was rejected, in the flags of this command where the library names its options. */
export function describeRejection(error: Error): string {
  if (error instanceof SenderNotAllowedError) {
    return `sender key id ${error.senderKeyId} is not in the --from list; add the sender's public key with --from to accept its messages`;
  }
  return oneLine(error);
}
