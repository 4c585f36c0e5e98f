import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AedesOptions } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { freePort } from './net.js';
import { createTestPki, type TestPki } from './pki.js';

export interface AedesBrokerOptions {
  /** Serve MQTT (and WebSockets) over TLS with the testkit PKI. Default false. */
  readonly tls?: boolean;
  /** Ask for a client certificate and reject clients without one from the CA. Implies `tls`. Default false. */
  readonly requireCertificate?: boolean;
  /** PKI for TLS. When omitted, a new one with an unrelated second CA is created. */
  readonly pki?: TestPki;
  /** Add a WebSockets listener on a second port. Default false. */
  readonly websockets?: boolean;
  /** Options passed to Aedes.createBroker, for example authentication hooks. */
  readonly aedes?: AedesOptions;
}

export interface RunningAedes {
  /** `mqtt://127.0.0.1:PORT` or `mqtts://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** `ws://127.0.0.1:PORT/mqtt` or `wss://…`, present when WebSockets were requested. */
  readonly wsUrl?: string;
  readonly broker: Aedes;
  /** PKI in memory, present when TLS is on. */
  readonly pki?: TestPki;
  /** Closes the listeners, every open connection and the broker. */
  stop(): Promise<void>;
}

/** Listens on 127.0.0.1 and records every socket so that stop() can end connections that clients keep open. */
async function listen(server: Server, port: number, sockets: Set<Socket>): Promise<void> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function tlsOptions(pki: TestPki, mtls: boolean): object {
  return {
    key: pki.server.key,
    cert: pki.server.cert,
    ca: pki.ca.cert,
    requestCert: mtls,
    rejectUnauthorized: mtls,
  };
}

/**
 * Starts an embedded Aedes 1.x broker on a free 127.0.0.1 port, over plain TCP or TLS,
 * optionally with a WebSockets listener (any path is accepted, MQTT.js uses /mqtt).
 */
export async function startAedes(options: AedesBrokerOptions = {}): Promise<RunningAedes> {
  const mtls = options.requireCertificate === true;
  const useTls = options.tls === true || mtls;
  const pki = useTls ? options.pki ?? createTestPki({ otherCa: true }) : undefined;
  const broker = await Aedes.createBroker(options.aedes);
  const handle = (socket: Socket): void => {
    broker.handle(socket);
  };
  const server = pki ? createTlsServer(tlsOptions(pki, mtls), handle) : createNetServer(handle);
  // TLS handshake failures (for example a client without a certificate) are expected in tests.
  server.on('tlsClientError', () => undefined);
  const sockets = new Set<Socket>();
  const port = await freePort();
  await listen(server, port, sockets);

  let wsPort: number | undefined;
  let webServer: Server | undefined;
  let wss: WebSocketServer | undefined;
  if (options.websockets === true) {
    const httpServer = pki ? createHttpsServer(tlsOptions(pki, mtls)) : createHttpServer();
    webServer = httpServer;
    wss = new WebSocketServer({ server: httpServer });
    wss.on('connection', (socket, request) => {
      broker.handle(createWebSocketStream(socket), request);
    });
    wsPort = await freePort();
    await listen(webServer, wsPort, sockets);
  }

  const scheme = useTls ? 's' : '';
  return {
    url: `mqtt${scheme}://127.0.0.1:${port}`,
    port,
    ...(wsPort !== undefined ? { wsUrl: `ws${scheme}://127.0.0.1:${wsPort}/mqtt` } : {}),
    broker,
    ...(pki !== undefined ? { pki } : {}),
    stop: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const client of wss?.clients ?? []) {
        client.terminate();
      }
      for (const socket of sockets) {
        socket.destroy();
      }
      await closeServer(server);
      if (wss !== undefined) {
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      }
      if (webServer !== undefined) {
        await closeServer(webServer);
      }
    },
  };
}
