import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.js';

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
  const fromEnv = process.env['NATS_SERVER_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') {
    return existsSync(fromEnv) ? fromEnv : undefined;
  }
  return CANDIDATE_PATHS.find((path) => existsSync(path));
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

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
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
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < MAX_START_ATTEMPTS; attempt++) {
    const natsPort = await freePort();
    const mqttPort = await freePort();
    const configPath = join(dir, 'nats.conf');
    const storeDir = join(dir, `jetstream-${attempt}`);
    await writeFile(configPath, buildConfig(natsPort, mqttPort, storeDir, `mqtt-e2ee-test-${mqttPort}`), { mode: 0o600 });
    const child = spawn(binary, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });
    const exitError = (): Error | undefined => {
      if (spawnError !== undefined) return new Error(`Failed to start ${binary}: ${spawnError.message}`, { cause: spawnError });
      if (child.exitCode !== null || child.signalCode !== null) {
        return new Error(`nats-server exited during startup. Log:\n${output.join('')}`);
      }
      return undefined;
    };
    try {
      await waitForPort('127.0.0.1', mqttPort, options.startTimeoutMs ?? 20_000, exitError);
    } catch (error) {
      lastError = error as Error;
      await stopChild(child);
      continue;
    }
    return {
      url: `mqtt://127.0.0.1:${mqttPort}`,
      port: mqttPort,
      natsUrl: `nats://127.0.0.1:${natsPort}`,
      log: () => output.join(''),
      stop: async () => {
        await stopChild(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`nats-server did not start after ${MAX_START_ATTEMPTS} attempts`, { cause: lastError });
}
