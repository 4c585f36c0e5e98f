import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';
import { createTestPki, writeTestPki, type TestPki, type TestPkiFiles } from './pki.js';
import { findBinary, startServer } from './server-process.js';

export interface MosquittoOptions {
  /** Serve MQTT over TLS (and WebSockets over TLS when `websockets` is set). Default false. */
  readonly tls?: boolean;
  /** Ask for a client certificate and reject clients without one from the CA. Implies `tls`. Default false. */
  readonly requireCertificate?: boolean;
  /** Add a WebSockets listener on a second port. Default false. */
  readonly websockets?: boolean;
  /** PKI for TLS. When omitted, a new one with an unrelated second CA is created. */
  readonly pki?: TestPki;
  /** Time to wait for the listeners in milliseconds. Default 10000. */
  readonly startTimeoutMs?: number;
  /** Extra config lines for the main listener, such as 'retain_available false'. */
  readonly extraConfig?: readonly string[];
}

export interface RunningMosquitto {
  /** `mqtt://127.0.0.1:PORT` or `mqtts://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** `ws://127.0.0.1:PORT/mqtt` or `wss://…`, present when WebSockets were requested. */
  readonly wsUrl?: string;
  /** PKI in memory and on disk, present when TLS is on. */
  readonly pki?: TestPki;
  readonly pkiFiles?: TestPkiFiles;
  /** Mosquitto's log output so far, for failure messages. */
  log(): string;
  /** Stops the broker and deletes its temp directory. */
  stop(): Promise<void>;
}

const CANDIDATE_PATHS = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/opt/homebrew/sbin/mosquitto'];
const MAX_START_ATTEMPTS = 3;

/** Returns the Mosquitto binary: MOSQUITTO_BIN when set, otherwise the first usual install path that exists. */
export function mosquittoPath(): string | undefined {
  return findBinary('MOSQUITTO_BIN', CANDIDATE_PATHS);
}

/** Returns whether a Mosquitto binary is installed, so tests can skip with a reason when it is not. */
export function mosquittoAvailable(): boolean {
  return mosquittoPath() !== undefined;
}

function tlsLines(files: TestPkiFiles, requireCertificate: boolean): string[] {
  return [
    `cafile ${files.caFile}`,
    `certfile ${files.serverCertFile}`,
    `keyfile ${files.serverKeyFile}`,
    `require_certificate ${requireCertificate ? 'true' : 'false'}`,
  ];
}

/** Builds the broker config. Both listeners are bound to 127.0.0.1 only. */
function buildConfig(
  port: number,
  wsPort: number | undefined,
  files: TestPkiFiles | undefined,
  mtls: boolean,
  extra: readonly string[] = [],
): string {
  const lines = [
    'per_listener_settings false',
    'allow_anonymous true',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    // Mosquitto 2.0.11 started as root switches to the user named here before it reads the TLS files,
    // and the default user 'mosquitto' cannot read 0600 root files. Non-root runs ignore this line.
    'user root',
    `listener ${port} 127.0.0.1`,
    ...(files ? tlsLines(files, mtls) : []),
    ...extra,
  ];
  if (wsPort !== undefined) {
    // Mosquitto 2.0.11 binds a WebSockets listener to every interface unless the socket domain is set.
    lines.push(`listener ${wsPort} 127.0.0.1`, 'protocol websockets', 'socket_domain ipv4');
    lines.push(...(files ? tlsLines(files, mtls) : []));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Starts /usr/sbin/mosquitto (or MOSQUITTO_BIN) with a generated config in a temp directory,
 * listening on free loopback ports, and waits until every listener accepts TCP connections.
 * A port taken by another process between freePort() and the broker's bind is retried with new ports.
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<RunningMosquitto> {
  const binary = mosquittoPath();
  if (binary === undefined) {
    throw new Error(
      'Mosquitto is not installed: install it (apt-get install mosquitto) or set MOSQUITTO_BIN',
    );
  }
  const mtls = options.requireCertificate === true;
  const useTls = options.tls === true || mtls;
  const dir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-mosquitto-'));
  const pki = useTls ? options.pki ?? createTestPki({ otherCa: true }) : undefined;
  const pkiFiles = pki ? await writeTestPki(pki, dir) : undefined;
  let port = 0;
  let wsPort: number | undefined;
  try {
    const server = await startServer({
      label: 'Mosquitto',
      binary,
      attempts: MAX_START_ATTEMPTS,
      startTimeoutMs: options.startTimeoutMs ?? 10_000,
      killAfterMs: 3000,
      prepare: async () => {
        port = await freePort();
        wsPort = options.websockets === true ? await freePort() : undefined;
        const configPath = join(dir, 'mosquitto.conf');
        await writeFile(configPath, buildConfig(port, wsPort, pkiFiles, mtls, options.extraConfig), { mode: 0o600 });
        return { configPath, ports: wsPort === undefined ? [port] : [port, wsPort] };
      },
    });
    const scheme = useTls ? 's' : '';
    return {
      url: `mqtt${scheme}://127.0.0.1:${port}`,
      port,
      ...(wsPort !== undefined ? { wsUrl: `ws${scheme}://127.0.0.1:${wsPort}/mqtt` } : {}),
      ...(pki !== undefined && pkiFiles !== undefined ? { pki, pkiFiles } : {}),
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
