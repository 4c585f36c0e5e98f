import { booleanValue, stringValue, type OptionTable, type ParsedValues } from './argv.js';
import { UsageError } from './errors.js';
import { defaultPort, isTlsProtocol, parseBrokerUrl, type BrokerProtocol } from './url.js';
import { parseKeepalive, parsePort, parseProtocolVersion, type ProtocolVersion } from './values.js';

/** Options shared by `pub` and `sub` that set how to reach and log in to the broker. */
export const CONNECTION_OPTIONS = {
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  url: { type: 'string', short: 'L' },
  id: { type: 'string', short: 'i' },
  username: { type: 'string', short: 'u' },
  pw: { type: 'string', short: 'P' },
  cafile: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  insecure: { type: 'boolean' },
  'ws-path': { type: 'string' },
  'protocol-version': { type: 'string', short: 'V' },
  keepalive: { type: 'string', short: 'k' },
  debug: { type: 'boolean', short: 'd' },
  help: { type: 'boolean' },
} as const satisfies OptionTable;

export interface ConnectionOptions {
  protocol: BrokerProtocol;
  host: string;
  port: number;
  /** HTTP path of the WebSocket endpoint; used only by ws:// and wss://. */
  wsPath: string;
  clientId?: string;
  username?: string;
  password?: string;
  cafile?: string;
  cert?: string;
  key?: string;
  /** Skips the check that the server certificate names the host; the chain is still verified. */
  insecure: boolean;
  protocolVersion: ProtocolVersion;
  /** Keepalive interval in seconds. */
  keepalive: number;
  debug: boolean;
}

export interface ParsedConnection {
  connection: ConnectionOptions;
  /** Topic taken from the path of the -L URL, if it had one. */
  urlTopic?: string;
}

const DEFAULT_KEEPALIVE_SECONDS = 60;
const DEFAULT_WS_PATH = '/mqtt';

/** Builds the connection options from parsed flags and rejects combinations that contradict each other. */
export function parseConnection(values: ParsedValues): ParsedConnection {
  const host = stringValue(values, 'host');
  const portText = stringValue(values, 'port');
  const urlText = stringValue(values, 'url');
  const cafile = stringValue(values, 'cafile');
  const cert = stringValue(values, 'cert');
  const key = stringValue(values, 'key');
  const wsPath = stringValue(values, 'ws-path');
  const wantsTls = cafile !== undefined || cert !== undefined;

  const url = urlText === undefined ? undefined : parseBrokerUrl('-L/--url', urlText);
  if (url !== undefined && (host !== undefined || portText !== undefined)) {
    throw new UsageError('-L/--url already sets the host and port; drop -h and -p, or drop -L');
  }
  const protocol: BrokerProtocol = url?.protocol ?? (wantsTls ? 'mqtts' : 'mqtt');
  if (wantsTls && !isTlsProtocol(protocol)) {
    throw new UsageError(`--cafile and --cert need TLS, but the -L URL uses ${protocol}://; use mqtts:// or wss://`);
  }
  if (booleanValue(values, 'insecure') && !isTlsProtocol(protocol)) {
    throw new UsageError('--insecure applies only to TLS connections; add --cafile, or use an mqtts:// or wss:// URL');
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError('--cert and --key go together; pass both the client certificate and its private key');
  }
  if (wsPath !== undefined && protocol !== 'ws' && protocol !== 'wss') {
    throw new UsageError('--ws-path applies only to WebSocket connections; use a ws:// or wss:// URL with -L');
  }
  if (wsPath !== undefined && !wsPath.startsWith('/')) {
    throw new UsageError(`invalid value for --ws-path: expected a path starting with '/', got '${wsPath}'`);
  }

  const connection: ConnectionOptions = {
    protocol,
    host: url?.host ?? host ?? 'localhost',
    port: url?.port ?? (portText === undefined ? defaultPort(protocol) : parsePort('-p/--port', portText)),
    wsPath: wsPath ?? DEFAULT_WS_PATH,
    insecure: booleanValue(values, 'insecure'),
    protocolVersion: parseOptional(values, 'protocol-version', (text) => parseProtocolVersion('-V', text)) ?? 4,
    keepalive: parseOptional(values, 'keepalive', (text) => parseKeepalive('-k', text)) ?? DEFAULT_KEEPALIVE_SECONDS,
    debug: booleanValue(values, 'debug'),
  };
  if (host === '') throw new UsageError('invalid value for -h/--host: it is empty; pass a host name or address');
  assignCredentials(connection, values, url?.username, url?.password);
  assignIfSet(connection, 'clientId', checkClientId(stringValue(values, 'id')));
  assignIfSet(connection, 'cafile', cafile);
  assignIfSet(connection, 'cert', cert);
  assignIfSet(connection, 'key', key);
  const parsed: ParsedConnection = { connection };
  if (url?.topic !== undefined) parsed.urlTopic = url.topic;
  return parsed;
}

function assignCredentials(
  connection: ConnectionOptions,
  values: ParsedValues,
  urlUsername: string | undefined,
  urlPassword: string | undefined,
): void {
  const username = stringValue(values, 'username');
  const password = stringValue(values, 'pw');
  if ((username !== undefined || password !== undefined) && (urlUsername !== undefined || urlPassword !== undefined)) {
    throw new UsageError('the -L URL already has a user name or password; drop -u and -P, or drop them from the URL');
  }
  const finalUsername = username ?? urlUsername;
  const finalPassword = password ?? urlPassword;
  // MQTT 3.1 and 3.1.1 require the Password Flag to be 0 when the User Name Flag is 0.
  // MQTT 5 dropped that rule.
  if (finalPassword !== undefined && finalUsername === undefined && connection.protocolVersion !== 5) {
    throw new UsageError('-P/--pw needs a user name before MQTT 5; add -u USERNAME, or use -V mqttv5');
  }
  assignIfSet(connection, 'username', finalUsername);
  assignIfSet(connection, 'password', finalPassword);
}

function checkClientId(id: string | undefined): string | undefined {
  if (id === '') throw new UsageError('invalid value for -i/--id: it is empty; pass a client id or drop -i');
  return id;
}

function parseOptional<T>(values: ParsedValues, name: string, parse: (text: string) => T): T | undefined {
  const text = stringValue(values, name);
  return text === undefined ? undefined : parse(text);
}

function assignIfSet<K extends keyof ConnectionOptions>(
  target: ConnectionOptions,
  name: K,
  value: ConnectionOptions[K] | undefined,
): void {
  if (value !== undefined) target[name] = value;
}
