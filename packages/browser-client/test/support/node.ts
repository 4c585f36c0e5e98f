/** Node.js peers of the browser tests: E2ee clients with an inbox, and raw MQTT.js clients. */
import { createHash, randomBytes } from 'node:crypto';
import { connectE2ee, type E2eeClient, type E2eeMessage } from '@mqtt-e2ee/node-client';
import type { KeyPair } from '@mqtt-e2ee/envelope';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';

export const WAIT_MS = 15_000;

/** Returns a topic prefix that no other test run uses. */
export function uniquePrefix(label: string): string {
  return `mqtt-e2ee-test/browser/${label}/${randomBytes(6).toString('hex')}`;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** A Node.js E2eeClient that records its messages and decrypt-errors. */
export class NodePeer {
  readonly messages: E2eeMessage[] = [];
  readonly errors: string[] = [];

  private constructor(readonly client: E2eeClient) {
    client.on('message', (message) => this.messages.push(message));
    client.on('decrypt-error', (error) => this.errors.push(error.code));
  }

  /** Records the messages of a client connected elsewhere, for example with key exchange. */
  static wrap(client: E2eeClient): NodePeer {
    return new NodePeer(client);
  }

  static async connect(
    url: string,
    identity: KeyPair,
    peers: string[],
    mqtt5: boolean,
  ): Promise<NodePeer> {
    const client = await connectE2ee(url, {
      identity,
      peers,
      mqtt: { reconnectPeriod: 0, protocolVersion: mqtt5 ? 5 : 4 },
    });
    return new NodePeer(client);
  }

  /** Waits for `count` messages on topics starting with `prefix`. */
  async waitFor(prefix: string, count: number): Promise<E2eeMessage[]> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const matching = this.messages.filter((message) => message.topic.startsWith(prefix));
      if (matching.length >= count) return matching;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out with ${matching.length} of ${count} messages on ${prefix}; errors ${this.errors.join(',')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Connects a plain MQTT.js client, which receives only what the broker receives. */
export function connectRaw(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options }, false);
}

/** Waits for the next message on `topic` on a raw client and returns its payload. */
export function nextRawMessage(client: MqttClient, topic: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`timed out waiting for a raw message on ${topic}`));
    }, WAIT_MS);
    const onMessage = (received: string, payload: Buffer): void => {
      if (received !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(payload);
    };
    client.on('message', onMessage);
  });
}
