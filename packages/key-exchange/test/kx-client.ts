/**
 * Test client: KeyExchange over a real MQTT.js connection, with the messages it opened and the
 * key events it saw, so tests can wait for them.
 */
import type { E2eeError } from '@mqtt-e2ee/envelope';
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import {
  createKeyExchange,
  type CreateKeyExchangeOptions,
  type KeyEvent,
  type KeyExchange,
  type KeyExchangeTransport,
  type ReceiveOutcome,
  type ReceivedMessage,
} from '../src/index.js';

export interface KxClient {
  readonly kx: KeyExchange<undefined>;
  readonly mqtt: MqttClient;
  readonly messages: ReceivedMessage[];
  readonly errors: E2eeError[];
  readonly keyEvents: KeyEvent[];
  /** Resolves with the first value that `probe` returns, checked after every event; rejects after `timeoutMs`. */
  until<T>(probe: () => T | undefined, what: string, timeoutMs?: number): Promise<T>;
  end(): Promise<void>;
}

/** Adapts an MQTT.js client: SUBACK failure codes are returned as codes, not as a rejection. */
export function mqttTransport(client: MqttClient): KeyExchangeTransport {
  return {
    publish: async (topic, payload, { qos, retain }) => {
      await client.publishAsync(topic, Buffer.from(payload), { qos, retain });
    },
    subscribe: async (filters, qos) => {
      try {
        const grants = await client.subscribeAsync([...filters], { qos });
        return filters.map((filter) => grants.find((grant) => grant.topic === filter)?.qos ?? qos);
      } catch (error) {
        const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
        if (Array.isArray(granted)) return granted;
        throw error;
      }
    },
  };
}

export type KxClientOptions = Omit<CreateKeyExchangeOptions, 'transport'> & { readonly mqtt?: IClientOptions };

/** Connects, creates KeyExchange and starts it. */
export async function connectKx(url: string, options: KxClientOptions): Promise<KxClient> {
  const { mqtt: mqttOptions, ...kxOptions } = options;
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...mqttOptions });
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  const kx = createKeyExchange<undefined>({ ...kxOptions, transport: mqttTransport(client) });
  const messages: ReceivedMessage[] = [];
  const errors: E2eeError[] = [];
  const keyEvents: KeyEvent[] = [];
  const wakers = new Set<() => void>();
  const wake = (): void => {
    for (const waker of [...wakers]) waker();
  };
  const handle = (outcome: ReceiveOutcome<undefined>): void => {
    if (outcome.kind === 'message') messages.push(outcome.message);
    if (outcome.kind === 'error') errors.push(outcome.error);
    wake();
  };
  kx.onLateMessage = handle;
  kx.events.on('key', (event) => {
    keyEvents.push(event);
    wake();
  });
  client.on('message', (topic, payload) => handle(kx.receive(topic, new Uint8Array(payload), undefined)));
  const until = <T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        wakers.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => {
        wakers.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      wakers.add(check);
      check();
    });
  try {
    await kx.start(connack.properties?.retainAvailable !== false);
  } catch (error) {
    await client.endAsync(true);
    throw error;
  }
  return { kx, mqtt: client, messages, errors, keyEvents, until, end: () => client.endAsync() };
}

/** Random topic-safe suffix so parallel runs do not share topics. */
export function uniqueName(label: string): string {
  return `${label}-${Math.random().toString(36).slice(2, 10)}`;
}
