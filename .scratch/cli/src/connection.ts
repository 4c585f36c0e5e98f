import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { E2eeClient } from '@mqtt-e2ee/node-client';
import type { IClientOptions } from 'mqtt';
import type { ConnectionOptions } from './connection-options.js';
import { UsageError, errorCode } from './errors.js';
import { isTlsProtocol } from './url.js';
import { protocolVersionName } from './values.js';

/** Broker URL and MQTT.js options for connectE2ee, with TLS files already read. */
export interface BrokerTarget {
  /** URL without user name or password, safe to print. */
  url: string;
  mqtt: IClientOptions;
}

export interface TargetSettings {
  cleanSession: boolean;
  /** Milliseconds between reconnect attempts after a lost connection; 0 turns reconnecting off. */
  reconnectPeriodMs: number;
}

/** Time allowed for the TCP, TLS and MQTT handshakes of the first connection, in milliseconds. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Builds the broker URL and MQTT.js options; a TLS file that cannot be read is a usage error. */
export async function brokerTarget(connection: ConnectionOptions, settings: TargetSettings): Promise<BrokerTarget> {
  const host = connection.host.includes(':') ? `[${connection.host}]` : connection.host;
  const path = connection.protocol === 'ws' || connection.protocol === 'wss' ? connection.wsPath : '';
  const mqtt: IClientOptions = {
    clientId: connection.clientId ?? `mqtt-e2ee-${randomBytes(6).toString('hex')}`,
    protocolVersion: connection.protocolVersion,
    keepalive: connection.keepalive,
    clean: settings.cleanSession,
    reconnectPeriod: settings.reconnectPeriodMs,
    connectTimeout: CONNECT_TIMEOUT_MS,
  };
  // The CONNECT packet of MQTT 3.1 names the protocol MQIsdp, while MQTT.js sends MQTT by default.
  if (connection.protocolVersion === 3) mqtt.protocolId = 'MQIsdp';
  if (connection.username !== undefined) mqtt.username = connection.username;
  if (connection.password !== undefined) mqtt.password = connection.password;
  if (isTlsProtocol(connection.protocol)) {
    mqtt.rejectUnauthorized = true;
    if (connection.cafile !== undefined) mqtt.ca = await readTlsFile('--cafile', connection.cafile);
    if (connection.cert !== undefined) mqtt.cert = await readTlsFile('--cert', connection.cert);
    if (connection.key !== undefined) mqtt.key = await readTlsFile('--key', connection.key);
    // --insecure keeps chain verification and skips only the host name check, as mosquitto_pub does.
    if (connection.insecure) Object.assign(mqtt, { checkServerIdentity: () => undefined });
  }
  return { url: `${connection.protocol}://${host}:${connection.port}${path}`, mqtt };
}

/** Describes the connection for -d output: no user name, password or key material. */
export function describeTarget(target: BrokerTarget, connection: ConnectionOptions): string {
  const parts = [
    `client id ${String(target.mqtt.clientId)}`,
    protocolVersionName(connection.protocolVersion),
    `keepalive ${connection.keepalive} s`,
  ];
  if (connection.username !== undefined) {
    parts.push(connection.password === undefined ? 'user name set' : 'user name and password set');
  }
  if (isTlsProtocol(connection.protocol)) {
    parts.push(connection.cafile === undefined ? 'TLS with the default CAs' : 'TLS with --cafile');
    if (connection.cert !== undefined) parts.push('client certificate');
    if (connection.insecure) parts.push('host name not checked (--insecure)');
  }
  return `connecting to ${target.url} (${parts.join(', ')})`;
}

async function readTlsFile(flag: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read the file given to ${flag} '${path}' (${errorCode(error) ?? 'read failed'}); check the path`, {
      cause: error,
    });
  }
}

/** Time a graceful disconnect may take before the socket is closed without DISCONNECT, in milliseconds. */
const CLOSE_TIMEOUT_MS = 2000;

/** Sends DISCONNECT and closes the connection; closes it at once when that takes too long or fails. */
export async function closeClient(client: E2eeClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
  });
  const result = await Promise.race([client.end(false).then(() => 'closed' as const, () => 'failed' as const), timeout]);
  clearTimeout(timer);
  if (result !== 'closed') await client.end(true).catch(() => undefined);
}
