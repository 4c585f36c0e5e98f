/** Broker paths of the browser tests: embedded Aedes over WebSockets, and Mosquitto through a bridge. */
import { reachable, realMosquittoUrl, startAedes } from '@mqtt-e2ee/testkit';
import { startBridge } from './bridge.js';

export interface BrokerPath {
  /** ws: URL for the browser. */
  wsUrl: string;
  /** mqtt: URL for Node.js clients. */
  tcpUrl: string;
  mqtt5: boolean;
  /** Drops the connections of clients whose id starts with 'browser-', as a network failure would. */
  dropBrowsers(): void;
  stop(): Promise<void>;
}

export interface BrokerSetup {
  name: string;
  skipReason: string | undefined;
  start(): Promise<BrokerPath>;
}

interface AedesClientHandle {
  id: string;
  close(): void;
}

export const aedesSetup: BrokerSetup = {
  name: 'embedded Aedes over WebSockets',
  skipReason: undefined,
  start: async () => {
    const broker = await startAedes({ websockets: true });
    if (broker.wsUrl === undefined)
      throw new Error('startAedes({ websockets: true }) returned no wsUrl');
    return {
      wsUrl: broker.wsUrl,
      tcpUrl: broker.url,
      mqtt5: false,
      dropBrowsers: () => {
        const clients = (broker.broker as unknown as { clients: Record<string, AedesClientHandle> })
          .clients;
        for (const client of Object.values(clients)) {
          if (client.id.startsWith('browser-')) client.close();
        }
      },
      stop: () => broker.stop(),
    };
  },
};

/**
 * Returns the setup of the Mosquitto on 127.0.0.1:1883 behind a WebSocket-to-TCP bridge, because Debian's Mosquitto
 * 2.0.11 has no WebSocket support compiled in. Skipped when Mosquitto is unreachable, unless
 * REQUIRE_MOSQUITTO=1.
 */
export async function mosquittoBridgeSetup(): Promise<BrokerSetup> {
  const up = await reachable(realMosquittoUrl, 1000);
  if (!up && process.env['REQUIRE_MOSQUITTO'] === '1') {
    throw new Error(`REQUIRE_MOSQUITTO=1 but no broker accepts connections at ${realMosquittoUrl}`);
  }
  return {
    name: `Mosquitto (${realMosquittoUrl}) through a WebSocket bridge`,
    skipReason: up
      ? undefined
      : `no broker at ${realMosquittoUrl}; set REQUIRE_MOSQUITTO=1 to fail instead`,
    start: async () => {
      const bridge = await startBridge({ brokerPort: Number(new URL(realMosquittoUrl).port) });
      return {
        wsUrl: bridge.url,
        tcpUrl: realMosquittoUrl,
        mqtt5: true,
        dropBrowsers: () => bridge.dropAll(),
        stop: () => bridge.stop(),
      };
    },
  };
}
