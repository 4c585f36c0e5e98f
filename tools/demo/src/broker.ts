import { readFile } from 'node:fs/promises';
import { createTestPki, startAedes } from '@mqtt-e2ee/testkit';
import type { IClientOptions } from 'mqtt';
import type { DemoOptions } from './options.js';

/** The broker the demo talks to and the MQTT.js options every demo client needs for it. */
export interface DemoBroker {
  url: string;
  /** `url` without user name and password, for messages. */
  shownUrl: string;
  /** TLS options shared by every client: the CA to trust, if any. */
  mqtt: IClientOptions;
  /** One line for the narrative; never contains a password. */
  description: string;
  stop(): Promise<void>;
}

/** Starts the embedded Aedes broker with TLS, or describes the broker given with --broker. */
export async function openBroker(options: DemoOptions): Promise<DemoBroker> {
  if (options.broker === undefined) {
    // One CA is enough here; createTestPki adds no unrelated second CA unless asked.
    const pki = createTestPki();
    const aedes = await startAedes({ tls: true, pki });
    return {
      url: aedes.url,
      shownUrl: aedes.url,
      mqtt: { ca: pki.ca.cert, rejectUnauthorized: true },
      description: `embedded Aedes broker at ${aedes.url}, TLS with a certificate from a throwaway CA`,
      stop: () => aedes.stop(),
    };
  }
  const mqtt: IClientOptions = {};
  if (options.cafile !== undefined) {
    mqtt.ca = await readFile(options.cafile);
    mqtt.rejectUnauthorized = true;
  }
  const redactedUrl = options.broker.replace(/\/\/[^@/]*@/, '//***@');
  return {
    url: options.broker,
    shownUrl: options.broker.replace(/\/\/[^@/]*@/, '//'),
    mqtt,
    description: `existing broker at ${redactedUrl}${options.cafile === undefined ? '' : ', TLS with --cafile'}`,
    stop: async () => undefined,
  };
}
