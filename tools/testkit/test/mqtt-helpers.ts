import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { TestPki } from '../src/index.js';

/** Connects once without reconnecting. Rejects on an error or when the connection closes before CONNACK. */
export async function connectOnce(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  return new Promise<MqttClient>((resolve, reject) => {
    const cleanup = (): void => {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(client);
    };
    const onError = (error: Error): void => {
      cleanup();
      client.end(true);
      reject(error);
    };
    const onClose = (): void => {
      onError(new Error(`Connection to ${url} closed before CONNACK`));
    };
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}

/** Publishes one random payload to a random topic and resolves with the payload received by the same client. */
export async function roundTrip(client: MqttClient): Promise<{ sent: string; received: string }> {
  const topic = `testkit/${randomBytes(6).toString('hex')}/echo`;
  const sent = randomBytes(8).toString('hex');
  const received = new Promise<string>((resolve) => {
    client.on('message', (messageTopic, payload) => {
      if (messageTopic === topic) {
        resolve(payload.toString());
      }
    });
  });
  await client.subscribeAsync(topic, { qos: 1 });
  await client.publishAsync(topic, sent, { qos: 1 });
  return { sent, received: await received };
}

/** Returns the PKI of a TLS broker, failing the test when the broker has none. */
export function pkiOf(broker: { readonly pki?: TestPki }): TestPki {
  if (broker.pki === undefined) {
    throw new Error('Expected the broker to have a PKI because it was started with TLS');
  }
  return broker.pki;
}
