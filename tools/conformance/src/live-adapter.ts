/** The live ops of the project's adapter: MQTT.js 5 with @mqtt-e2ee/envelope. */
import {
  classifyPayload,
  EnvelopeOpener,
  EnvelopeSealer,
  keyPairFromSecretKey,
  type CryptoProvider,
  type PaddingOption,
} from '@mqtt-e2ee/envelope';
import { errorCode, fromHex, toHex } from '@mqtt-e2ee/vectors';
import mqtt from 'mqtt';

export interface LiveReceiveInput {
  broker: string;
  topic: string;
  recipientSecretKeys: string[];
  senderPublicKeys: string[];
  count: number;
}

export interface LiveSealInput {
  broker: string;
  topic: string;
  senderSecretKey: string;
  recipientPublicKey: string;
  messages: string[];
  padding?: PaddingOption;
}

/** Time a live op waits for the broker's messages, in milliseconds. */
const LIVE_TIMEOUT_MS = 20_000;

/**
 * Subscribes, calls `ready`, then reports the next `count` payloads in arrival order. The topic
 * given to open is the first argument of MQTT.js's 'message' event, which has topic aliases
 * resolved already.
 */
export async function liveReceive(input: LiveReceiveInput, provider: CryptoProvider, ready: () => void): Promise<unknown> {
  const senders = input.senderPublicKeys.map(fromHex);
  const opener = new EnvelopeOpener({
    identities: input.recipientSecretKeys.map((key) => keyPairFromSecretKey(fromHex(key), provider)),
    resolveSender: () => senders,
    provider,
  });
  const client = await mqtt.connectAsync(input.broker, { protocolVersion: 5, reconnectPeriod: 0, clean: true, properties: { topicAliasMaximum: 16 } });
  const received: unknown[] = [];
  try {
    const complete = new Promise<void>((resolve) => {
      client.on('message', (topic, payload) => {
        const bytes = new Uint8Array(payload);
        if (classifyPayload(bytes) === 'delete') {
          received.push({ kind: 'delete' });
        } else {
          try {
            const opened = opener.open(topic, bytes);
            received.push({ seq: opened.seq.toString(), plaintext: toHex(opened.plaintext) });
          } catch (error) {
            received.push({ error: errorCode(error) });
          }
        }
        if (received.length === input.count) resolve();
      });
    });
    await client.subscribeAsync(input.topic, { qos: 1 });
    ready();
    await Promise.race([complete, new Promise((resolve) => setTimeout(resolve, LIVE_TIMEOUT_MS).unref())]);
  } finally {
    await client.endAsync();
  }
  return { received };
}

/** Seals each message for the recipient in one session and publishes it with QoS 1. */
export async function liveSeal(input: LiveSealInput, provider: CryptoProvider): Promise<unknown> {
  const sealer = new EnvelopeSealer({
    identity: keyPairFromSecretKey(fromHex(input.senderSecretKey), provider),
    provider,
    padding: input.padding ?? 'none',
  });
  const recipient = fromHex(input.recipientPublicKey);
  const client = await mqtt.connectAsync(input.broker, { protocolVersion: 5, reconnectPeriod: 0, clean: true });
  try {
    for (const message of input.messages) {
      await client.publishAsync(input.topic, Buffer.from(sealer.seal(input.topic, fromHex(message), recipient)), { qos: 1 });
    }
  } finally {
    await client.endAsync();
  }
  return { published: input.messages.length };
}
