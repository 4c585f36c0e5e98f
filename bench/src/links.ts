/**
 * Publisher/subscriber pairs for each benchmarked mode. Every pair uses two MQTT connections
 * in this process, one topic, and the same QoS for publish and subscription.
 */
import { randomBytes } from 'node:crypto';
import {
  EnvelopeOpener,
  EnvelopeSealer,
  generateKeyPair,
  type CryptoProvider,
  type KeyPair,
} from '@mqtt-e2ee/envelope';
import { connectE2ee, type E2eeClient } from '@mqtt-e2ee/node-client';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { FlowSink, Link } from './flow.js';
import { median } from './stats.js';

export type QoS = 0 | 1;

export interface LinkContext {
  brokerUrl: string;
  topic: string;
  qos: QoS;
  sink: FlowSink;
}

/** Opens a publisher and subscriber pair for one run. */
export type LinkFactory = (context: LinkContext) => Promise<Link>;

/** Tracks publishes in progress so that drain() can wait for all of them. */
class PendingPublishes {
  #pending = 0;
  #waiters: Array<() => void> = [];

  start(): void {
    this.#pending++;
  }

  settle(): void {
    this.#pending--;
    if (this.#pending === 0) for (const wake of this.#waiters.splice(0)) wake();
  }

  drain(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

function mqttOptions(role: string): IClientOptions {
  return {
    clientId: `bench-${role}-${randomBytes(6).toString('hex')}`,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  };
}

async function connectPair(brokerUrl: string): Promise<[MqttClient, MqttClient]> {
  return Promise.all([
    connectAsync(brokerUrl, mqttOptions('pub')),
    connectAsync(brokerUrl, mqttOptions('sub')),
  ]);
}

/** Plain MQTT.js: publish with a callback, payload delivered as received. */
export const plaintextLink: LinkFactory = async ({ brokerUrl, topic, qos, sink }) => {
  const [publisher, subscriber] = await connectPair(brokerUrl);
  subscriber.on('message', (_topic, payload) => sink.receive(payload));
  await subscriber.subscribeAsync(topic, { qos });
  const pending = new PendingPublishes();
  const done = (error?: Error): void => {
    if (error) sink.fail(error);
    pending.settle();
  };
  return {
    send(payload) {
      pending.start();
      publisher.publish(topic, payload as Buffer, { qos }, done);
    },
    drain: () => pending.drain(),
    close: async () => {
      await Promise.all([publisher.endAsync(), subscriber.endAsync()]);
    },
  };
};

/** Key pairs of a publisher and a subscriber that know each other. */
export interface PeerKeys {
  sender: KeyPair;
  recipient: KeyPair;
}

export function makePeerKeys(provider: CryptoProvider): PeerKeys {
  return { sender: generateKeyPair(provider), recipient: generateKeyPair(provider) };
}

/**
 * Returns a link of the envelope layer alone on plain MQTT.js clients: EnvelopeSealer before
 * publish and EnvelopeOpener in the message handler, which shows the envelope cost without the
 * client wrapper.
 */
export function envelopeLink(provider: CryptoProvider): LinkFactory {
  return async ({ brokerUrl, topic, qos, sink }) => {
    const keys = makePeerKeys(provider);
    const sealer = new EnvelopeSealer({ identity: keys.sender, provider });
    const opener = new EnvelopeOpener({
      identities: [keys.recipient],
      resolveSender: () => [keys.sender.publicKey],
      provider,
    });
    const [publisher, subscriber] = await connectPair(brokerUrl);
    subscriber.on('message', (receivedTopic, payload) => {
      try {
        sink.receive(opener.open(receivedTopic, payload).plaintext);
      } catch (error) {
        sink.fail(error);
      }
    });
    await subscriber.subscribeAsync(topic, { qos });
    const pending = new PendingPublishes();
    const done = (error?: Error): void => {
      if (error) sink.fail(error);
      pending.settle();
    };
    const recipient = keys.recipient.publicKey;
    return {
      send(payload) {
        pending.start();
        const envelope = sealer.seal(topic, payload, recipient);
        publisher.publish(topic, Buffer.from(envelope.buffer, envelope.byteOffset, envelope.length), { qos }, done);
      },
      drain: () => pending.drain(),
      close: async () => {
        await Promise.all([publisher.endAsync(), subscriber.endAsync()]);
      },
    };
  };
}

/** Direct mode through @mqtt-e2ee/node-client: E2eeClient.publish and the 'message' event. */
export function directClientLink(provider: CryptoProvider): LinkFactory {
  return async ({ brokerUrl, topic, qos, sink }) => {
    const keys = makePeerKeys(provider);
    const [sender, recipient]: E2eeClient[] = await Promise.all([
      connectE2ee(brokerUrl, {
        identity: keys.sender,
        peers: [keys.recipient.publicKey],
        provider,
        mqtt: mqttOptions('e2ee-pub'),
      }),
      connectE2ee(brokerUrl, {
        identity: keys.recipient,
        peers: [keys.sender.publicKey],
        provider,
        mqtt: mqttOptions('e2ee-sub'),
      }),
    ]);
    const [senderClient, recipientClient] = [sender as E2eeClient, recipient as E2eeClient];
    recipientClient.on('message', (message) => sink.receive(message.payload));
    recipientClient.on('decrypt-error', (error) => sink.fail(error));
    await recipientClient.subscribe(topic, { qos });
    const pending = new PendingPublishes();
    const settle = (): void => pending.settle();
    const fail = (error: unknown): void => {
      sink.fail(error);
      pending.settle();
    };
    const options = { to: keys.recipient.publicKey, qos };
    return {
      send(payload) {
        pending.start();
        senderClient.publish(topic, payload, options).then(settle, fail);
      },
      drain: () => pending.drain(),
      close: async () => {
        await Promise.all([senderClient.end(), recipientClient.end()]);
      },
    };
  };
}

/** Spins the CPU for `ns` nanoseconds. */
function busyWait(ns: bigint): void {
  const until = process.hrtime.bigint() + ns;
  while (process.hrtime.bigint() < until);
}

/**
 * Plaintext MQTT.js with a busy loop instead of encryption: `sealNs` before each publish and
 * `openNs` in the message handler, the measured times of one seal and one open. It shows what the
 * same CPU time per message costs the plaintext flow when no encryption code runs.
 */
export function busyPlaintextLink(sealNs: number, openNs: number): LinkFactory {
  const beforeSend = BigInt(Math.round(sealNs));
  const beforeReceive = BigInt(Math.round(openNs));
  return async (context) => {
    const sink: FlowSink = {
      receive(payload) {
        busyWait(beforeReceive);
        context.sink.receive(payload);
      },
      fail: (error) => context.sink.fail(error),
    };
    const link = await plaintextLink({ ...context, sink });
    return {
      send(payload) {
        busyWait(beforeSend);
        link.send(payload);
      },
      drain: () => link.drain(),
      close: () => link.close(),
    };
  };
}

/** Median time in nanoseconds of one EnvelopeSealer.seal and one EnvelopeOpener.open of `payloadBytes`. */
export function envelopeCost(provider: CryptoProvider, payloadBytes: number): { sealNs: number; openNs: number } {
  const keys = makePeerKeys(provider);
  const sealer = new EnvelopeSealer({ identity: keys.sender, provider });
  const opener = new EnvelopeOpener({ identities: [keys.recipient], resolveSender: () => [keys.sender.publicKey], provider });
  const plaintext = provider.randomBytes(payloadBytes);
  const count = 2000;
  const seals: number[] = [];
  const opens: number[] = [];
  for (let sample = 0; sample < 7; sample++) {
    const envelopes: Uint8Array[] = [];
    let started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) envelopes.push(sealer.seal('bench/calibrate', plaintext, keys.recipient.publicKey));
    seals.push(Number(process.hrtime.bigint() - started) / count);
    started = process.hrtime.bigint();
    for (const envelope of envelopes) opener.open('bench/calibrate', envelope);
    opens.push(Number(process.hrtime.bigint() - started) / count);
  }
  // The first samples warm the JIT up and are left out.
  return { sealNs: median(seals.slice(2)), openNs: median(opens.slice(2)) };
}