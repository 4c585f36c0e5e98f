/** Shared helpers of the node-client tests: brokers, raw MQTT.js clients and event inboxes. */
import { randomBytes } from 'node:crypto';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { reachable, realMosquittoUrl, startAedes, type RunningAedes } from '@mqtt-e2ee/testkit';
import type {
  DecryptFailure,
  DuplicateMessage,
  E2eeClient,
  E2eeMessage,
  RetainedDelete,
  SkippedEnvelope,
} from '../src/index.js';

export const EVENT_TIMEOUT_MS = 5000;

/** A broker under test: its URL, whether it speaks MQTT 5, and how to stop it. */
export interface BrokerUnderTest {
  name: string;
  url: string;
  mqtt5: boolean;
  stop(): Promise<void>;
}

export interface BrokerSetup {
  name: string;
  /** Reason to skip the suite, or undefined when the broker can be used. */
  skipReason: string | undefined;
  start(): Promise<BrokerUnderTest>;
}

/** Embedded Aedes 1.x from the testkit; it speaks MQTT 3.1.1 only. */
export const aedesSetup: BrokerSetup = {
  name: 'Aedes (embedded)',
  skipReason: undefined,
  start: async () => {
    const broker: RunningAedes = await startAedes();
    return { name: 'Aedes', url: broker.url, mqtt5: false, stop: () => broker.stop() };
  },
};

/**
 * Checks for the Mosquitto already running on 127.0.0.1:1883. When it is unreachable the suite is
 * skipped, unless REQUIRE_MOSQUITTO=1, which turns the missing broker into a failure.
 */
export async function realMosquittoSetup(): Promise<BrokerSetup> {
  const up = await reachable(realMosquittoUrl, 1000);
  if (!up && process.env['REQUIRE_MOSQUITTO'] === '1') {
    throw new Error(`REQUIRE_MOSQUITTO=1 but no broker accepts connections at ${realMosquittoUrl}`);
  }
  return {
    name: `Mosquitto (${realMosquittoUrl})`,
    skipReason: up
      ? undefined
      : `no broker reachable at ${realMosquittoUrl}; set REQUIRE_MOSQUITTO=1 to fail instead`,
    start: async () => ({
      name: 'Mosquitto',
      url: realMosquittoUrl,
      mqtt5: true,
      stop: async () => undefined,
    }),
  };
}

/** Returns a topic prefix that no other test run uses. */
export function uniquePrefix(label: string): string {
  return `mqtt-e2ee-test/${label}/${randomBytes(8).toString('hex')}`;
}

/** Connects a plain MQTT.js client that fails instead of retrying. */
export async function connectRaw(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options }, false);
}

/** Records the events of an E2eeClient so that tests can wait for one of them. */
export class Inbox {
  readonly messages: E2eeMessage[] = [];
  readonly errors: DecryptFailure[] = [];
  readonly skipped: SkippedEnvelope[] = [];
  readonly retainedDeletes: RetainedDelete[] = [];
  readonly duplicates: DuplicateMessage[] = [];
  readonly #waiters: Array<() => void> = [];

  constructor(client: E2eeClient) {
    client.on('message', (message) => this.#push(this.messages, message));
    client.on('decrypt-error', (error) => this.#push(this.errors, error));
    client.on('skipped', (skipped) => this.#push(this.skipped, skipped));
    client.on('retained-delete', (deleted) => this.#push(this.retainedDeletes, deleted));
    client.on('duplicate', (duplicate) => this.#push(this.duplicates, duplicate));
  }

  /** Waits for a dropped duplicate on `topic`, or fails after EVENT_TIMEOUT_MS. */
  duplicate(topic: string): Promise<DuplicateMessage> {
    return this.#waitFor(this.duplicates, (d) => d.topic === topic, `a duplicate on ${topic}`);
  }

  /** Waits for a retained-message delete on `topic`, or fails after EVENT_TIMEOUT_MS. */
  retainedDelete(topic: string): Promise<RetainedDelete> {
    return this.#waitFor(this.retainedDeletes, (d) => d.topic === topic, `a delete on ${topic}`);
  }

  /** Waits for a message on `topic`, or fails after EVENT_TIMEOUT_MS. */
  message(topic: string): Promise<E2eeMessage> {
    return this.#waitFor(this.messages, (m) => m.topic === topic, `a message on ${topic}`);
  }

  /** Waits for a decrypt-error on `topic`, or fails after EVENT_TIMEOUT_MS. */
  error(topic: string): Promise<DecryptFailure> {
    return this.#waitFor(this.errors, (e) => e.topic === topic, `a decrypt-error on ${topic}`);
  }

  /** Waits for a skipped envelope on `topic`, or fails after EVENT_TIMEOUT_MS. */
  skip(topic: string): Promise<SkippedEnvelope> {
    return this.#waitFor(this.skipped, (s) => s.topic === topic, `a skipped envelope on ${topic}`);
  }

  #push<T>(list: T[], item: T): void {
    list.push(item);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #waitFor<T>(list: T[], match: (item: T) => boolean, what: string): Promise<T> {
    const deadline = Date.now() + EVENT_TIMEOUT_MS;
    for (;;) {
      const found = list.find(match);
      if (found !== undefined) return found;
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Error(`timed out after ${EVENT_TIMEOUT_MS} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Waits for the next message on `topic` on a raw MQTT.js client. */
export function nextRawMessage(client: MqttClient, topic: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(
        new Error(`timed out after ${EVENT_TIMEOUT_MS} ms waiting for a raw message on ${topic}`),
      );
    }, EVENT_TIMEOUT_MS);
    const onMessage = (received: string, payload: Buffer): void => {
      if (received !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(payload);
    };
    client.on('message', onMessage);
  });
}

/** Gives the broker time to deliver anything still in flight, for checks that something did not arrive. */
export function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Returns true when `needle` occurs in `haystack`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  const view = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength);
  return view.includes(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
}
