import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';
import { findBinary, startServer } from './server-process.js';

export interface NatsOptions {
  /** Time to wait for the listeners in milliseconds. Default 20000, because JetStream starts first. */
  readonly startTimeoutMs?: number;
}

export interface RunningNats {
  /** `mqtt://127.0.0.1:PORT` of the MQTT listener. NATS supports MQTT 3.1.1 with QoS 0 and 1 only. */
  readonly url: string;
  /** Port of the MQTT listener. */
  readonly port: number;
  /** `nats://127.0.0.1:PORT` of the NATS client listener. */
  readonly natsUrl: string;
  /** nats-server's log output so far, for failure messages. */
  log(): string;
  /** Stops the server and deletes its temp directory with the JetStream store. */
  stop(): Promise<void>;
}

const CANDIDATE_PATHS = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server'];
const MAX_START_ATTEMPTS = 3;

/** Returns the nats-server binary: NATS_SERVER_BIN when set, otherwise the first usual install path that exists. */
export function natsServerPath(): string | undefined {
  return findBinary('NATS_SERVER_BIN', CANDIDATE_PATHS);
}

/** Returns whether nats-server is installed. */
export function natsAvailable(): boolean {
  return natsServerPath() !== undefined;
}

/**
 * Builds the config. The MQTT listener needs JetStream, which needs a server_name; every
 * listener is bound to 127.0.0.1.
 */
function buildConfig(natsPort: number, mqttPort: number, storeDir: string, name: string): string {
  return [
    `server_name: ${name}`,
    `listen: 127.0.0.1:${natsPort}`,
    'jetstream {',
    `  store_dir: ${JSON.stringify(storeDir)}`,
    '}',
    'mqtt {',
    `  listen: 127.0.0.1:${mqttPort}`,
    '}',
    '',
  ].join('\n');
}

/**
 * Starts nats-server with JetStream and an MQTT listener on free loopback ports, with a generated
 * config and store in a temp directory, and waits until the MQTT port accepts TCP connections.
 * A port taken by another process between freePort() and the bind is retried with new ports.
 */
export async function startNats(options: NatsOptions = {}): Promise<RunningNats> {
  const binary = natsServerPath();
  if (binary === undefined) {
    throw new Error('nats-server is not installed: install it (apt-get install nats-server) or set NATS_SERVER_BIN');
  }
  const dir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-nats-'));
  let natsPort = 0;
  let mqttPort = 0;
  try {
    const server = await startServer({
      label: 'nats-server',
      binary,
      attempts: MAX_START_ATTEMPTS,
      startTimeoutMs: options.startTimeoutMs ?? 20_000,
      killAfterMs: 5000,
      prepare: async (attempt) => {
        natsPort = await freePort();
        mqttPort = await freePort();
        const configPath = join(dir, 'nats.conf');
        const storeDir = join(dir, `jetstream-${attempt}`);
        const config = buildConfig(natsPort, mqttPort, storeDir, `mqtt-e2ee-test-${mqttPort}`);
        await writeFile(configPath, config, { mode: 0o600 });
        return { configPath, ports: [mqttPort] };
      },
    });
    return {
      url: `mqtt://127.0.0.1:${mqttPort}`,
      port: mqttPort,
      natsUrl: `nats://127.0.0.1:${natsPort}`,
      log: server.log,
      stop: async () => {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
