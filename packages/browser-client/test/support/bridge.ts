/**
 * A WebSocket-to-TCP bridge for tests: each WebSocket connection gets its own TCP connection to an
 * MQTT broker, and binary frames and TCP bytes are copied both ways unchanged. It lets a browser
 * reach a broker that has no WebSocket listener, such as Debian's Mosquitto 2.0.11, which is
 * built without WebSocket support.
 */
import { createServer, type Server } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import { freePort } from '@mqtt-e2ee/testkit';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RunningBridge {
  /** ws://127.0.0.1:PORT/mqtt */
  url: string;
  /** Number of WebSocket connections accepted so far. */
  connections(): number;
  /** Closes every open connection abruptly, as a network failure would. */
  dropAll(): void;
  stop(): Promise<void>;
}

export interface BridgeOptions {
  /** TCP port of the broker on 127.0.0.1. */
  brokerPort: number;
  /** Largest WebSocket message accepted from clients; larger ones close with code 1009. */
  maxPayload?: number;
}

export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const server: Server = createServer();
  const wss = new WebSocketServer({
    server,
    maxPayload: options.maxPayload ?? 64 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  const pairs = new Set<{ ws: WebSocket; tcp: Socket }>();
  let accepted = 0;
  wss.on('connection', (ws) => {
    accepted++;
    const tcp = connectTcp(options.brokerPort, '127.0.0.1');
    const pair = { ws, tcp };
    pairs.add(pair);
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) tcp.write(data);
      else ws.close(1003, 'MQTT over WebSockets uses binary frames');
    });
    tcp.on('data', (chunk) => ws.send(chunk, { binary: true }));
    const close = (): void => {
      pairs.delete(pair);
      tcp.destroy();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
    };
    ws.on('close', close);
    ws.on('error', close);
    tcp.on('close', close);
    tcp.on('error', close);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `ws://127.0.0.1:${port}/mqtt`,
    connections: () => accepted,
    dropAll: () => {
      for (const { ws, tcp } of pairs) {
        ws.terminate();
        tcp.destroy();
      }
      pairs.clear();
    },
    stop: async () => {
      for (const { ws, tcp } of pairs) {
        ws.terminate();
        tcp.destroy();
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
