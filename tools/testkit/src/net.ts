import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** URL of the anonymous Mosquitto that the test machine runs, unless the environment overrides it. */
export const DEFAULT_MOSQUITTO_URL = 'mqtt://127.0.0.1:1883';

/** Environment variable that points the tests at another Mosquitto, or at a closed port to see the skips. */
export const MOSQUITTO_URL_VARIABLE = 'MQTT_E2EE_TEST_MOSQUITTO_URL';

/** Host names the tests may connect to: the broker must run on this machine. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Returns the Mosquitto URL for tests: `value` (the MQTT_E2EE_TEST_MOSQUITTO_URL setting) when it
 * is set and not empty, else mqtt://127.0.0.1:1883. Raises a RangeError for a URL that is not
 * mqtt:// or whose host is not 127.0.0.1, ::1 or localhost.
 */
export function mosquittoUrlFrom(value: string | undefined): string {
  if (value === undefined || value === '') return DEFAULT_MOSQUITTO_URL;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch (error) {
    throw new RangeError(`${MOSQUITTO_URL_VARIABLE}: expected a URL such as mqtt://127.0.0.1:1883, got ${JSON.stringify(value)}`, {
      cause: error,
    });
  }
  if (parsed.protocol !== 'mqtt:') {
    throw new RangeError(`${MOSQUITTO_URL_VARIABLE}: expected an mqtt:// URL, got ${JSON.stringify(value)}`);
  }
  if (!LOOPBACK_HOSTS.has(parsed.hostname.toLowerCase())) {
    throw new RangeError(
      `${MOSQUITTO_URL_VARIABLE}: tests connect only to loopback, so the host must be 127.0.0.1, [::1] or localhost, got ${JSON.stringify(parsed.hostname)}`,
    );
  }
  return value;
}

/** URL of the anonymous Mosquitto the tests use: MQTT_E2EE_TEST_MOSQUITTO_URL, or mqtt://127.0.0.1:1883. */
export const realMosquittoUrl = mosquittoUrlFrom(process.env[MOSQUITTO_URL_VARIABLE]);

const DEFAULT_PORTS: Record<string, number> = {
  'mqtt:': 1883,
  'tcp:': 1883,
  'mqtts:': 8883,
  'ssl:': 8883,
  'tls:': 8883,
  'ws:': 80,
  'wss:': 443,
};

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. Another process may still take it first. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error(`freePort: expected a TCP address from the OS, got ${String(address)}`);
  }
  return address.port;
}

function hostAndPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  const fallback = DEFAULT_PORTS[parsed.protocol];
  const port = parsed.port === '' ? fallback : Number(parsed.port);
  if (port === undefined) {
    throw new RangeError(`url: expected an mqtt:, mqtts:, ws: or wss: URL or an explicit port, got ${url}`);
  }
  // URL keeps the brackets around IPv6 literals, but net.connect expects the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

/** Connects once over TCP and returns whether something accepted the connection within `timeoutMs`. */
export async function reachable(url: string, timeoutMs = 1000): Promise<boolean> {
  const { host, port } = hostAndPort(url);
  return new Promise<boolean>((resolve) => {
    const socket = createConnection({ host, port });
    const finish = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * Polls `host:port` until a TCP connection succeeds. Rejects after `timeoutMs`,
 * or as soon as `failed()` returns an error (for example because the server process exited).
 */
export async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  failed: () => Error | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  for (;;) {
    const error = failed();
    if (error !== undefined) {
      throw error;
    }
    if (await reachable(url, 250)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${host}:${port} to accept connections`);
    }
    await sleep(50);
  }
}
