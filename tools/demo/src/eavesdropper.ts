import { randomBytes } from 'node:crypto';
import { ConnectError } from '@mqtt-e2ee/node-client';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';

/** One publish as the broker delivered it to the eavesdropper. */
export interface CapturedMessage {
  topic: string;
  payload: Buffer;
}

/**
 * A plain MQTT.js client, without any end-to-end encryption, subscribed to '#'. It
 * records every payload the broker delivers, the way a curious broker operator or an
 * attacker with broker access would see the traffic.
 */
export class Eavesdropper {
  readonly captured: CapturedMessage[] = [];
  readonly #client: MqttClient;
  #waiters: (() => void)[] = [];

  private constructor(client: MqttClient) {
    this.#client = client;
    client.on('message', (topic, payload) => {
      this.captured.push({ topic, payload });
      for (const waiter of this.#waiters.splice(0)) waiter();
    });
  }

  /**
   * Connects and subscribes to '#' at QoS 1, so that the broker queues rather than drops messages
   * for it. A failed connection raises ConnectError, which names `shownUrl` and what to check.
   */
  static async start(url: string, shownUrl: string, options: IClientOptions): Promise<Eavesdropper> {
    let client: MqttClient;
    try {
      client = await connectAsync(url, {
        ...options,
        clientId: `mqtt-e2ee-demo-eavesdropper-${randomBytes(4).toString('hex')}`,
        reconnectPeriod: 0,
      });
    } catch (error) {
      throw new ConnectError(shownUrl, error);
    }
    const spy = new Eavesdropper(client);
    await client.subscribeAsync('#', { qos: 1 });
    return spy;
  }

  /** Captured messages whose topic starts with `prefix`. */
  on(prefix: string): CapturedMessage[] {
    return this.captured.filter((message) => message.topic.startsWith(prefix));
  }

  /** Resolves true once `count` messages under `prefix` were captured, or false after `timeoutMs`. */
  async waitFor(prefix: string, count: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.on(prefix).length < count) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  async stop(): Promise<void> {
    await this.#client.endAsync(true);
  }
}
