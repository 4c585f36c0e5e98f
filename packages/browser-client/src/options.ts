/** Validation of the browser client's options, with the Node-only options rejected by name. */
import type { KeyPair } from '@mqtt-e2ee/envelope';
import {
  checkBrokerUrlWith,
  checkKnownKeys,
  checkMqttOptions,
  checkOptionalString,
  checkOptionsObject,
  checkProvider,
  CORE_OPTION_KEYS,
  Described,
  InvalidOptionError,
  OptionRangeError,
  resolveKeyIdentity,
  resolveSettings,
  type ClientSettings,
  type CoreOptions,
} from '@mqtt-e2ee/node-client/core';
import type { IClientOptions } from 'mqtt';
import { UnsupportedOptionError } from './errors.js';
import type { BrowserKeyExchangeOptions } from './key-exchange.js';
import type { WebSocketConstructor } from './transport.js';

/** MQTT.js options that the browser client passes through. */
export type BrowserMqttOptions = Omit<
  IClientOptions,
  (typeof NODE_ONLY_MQTT_OPTIONS)[number] | 'createWebsocket'
>;

/** Options of connectE2ee in the browser. */
export interface BrowserConnectOptions extends CoreOptions {
  /**
   * The local key pair, for example from BrowserKeyStore, or secret key text ('mqe2e-sk1-…').
   * With `keyExchange` it may be omitted (kept in the state database) or must have a signing key.
   */
  identity?: KeyPair | string;
  /** MQTT.js client options, such as clientId, username, password, protocolVersion, keepalive. */
  mqtt?: BrowserMqttOptions;
  /** WebSocket constructor to use instead of the global WebSocket, for example a test double. */
  webSocket?: WebSocketConstructor;
  /** Receives debug lines about connects, closes and rejected message codes; never payloads or keys. */
  debug?: (message: string) => void;
  /**
   * Name of an IndexedDB database that keeps the replay windows across page reloads
   * (IndexedDbReplayStore), so a reloaded page drops copies of messages it delivered before.
   * It is read when connecting, and each message is delivered once its state is committed. The
   * client closes it when the connection ends. Replaces `replayStore`. Default: state in memory.
   * One client at a time owns the database through the Web Lock 'mqtt-e2ee:replay:NAME', and a
   * second one rejects with StateInUseError (not enforced where navigator.locks is missing).
   */
  replayStateDatabase?: string;
  /**
   * Key exchange: discovery of peers by client id, trust policies, rotation and groups, with the
   * identity and state in IndexedDB. Replaces `peers`, `replayStore` and `replayStateDatabase`.
   */
  keyExchange?: BrowserKeyExchangeOptions;
}

export interface ResolvedBrowserOptions {
  settings: ClientSettings;
  mqtt: BrowserMqttOptions;
  webSocket: WebSocketConstructor;
  debug: (message: string) => void;
  replayStateDatabase?: string;
}

/**
 * Options that configure Node's TLS or socket layer. In a browser the WebSocket API decides about
 * certificates and TLS, so these would be ignored silently and are rejected instead.
 */
const NODE_ONLY_MQTT_OPTIONS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
  'checkServerIdentity',
  'ALPNProtocols',
  'ciphers',
  'minVersion',
  'maxVersion',
  'secureContext',
  'secureProtocol',
  'crl',
  'ecdhCurve',
  'dhparam',
  'honorCipherOrder',
  'sessionIdContext',
  'wsOptions',
  'unixSocket',
] as const;

const OPTION_KEYS = [...CORE_OPTION_KEYS, 'mqtt', 'webSocket', 'debug', 'replayStateDatabase', 'keyExchange'] as const;
/** Options that key exchange replaces: senders come from verified announcements, replay state from its store. */
const NOT_WITH_KEY_EXCHANGE = ['peers', 'replayStore', 'replayStateDatabase', 'topicMap'] as const;

/** Rejects the options that key exchange replaces, naming the first one set. */
export function checkKeyExchangeCombination(opts: Record<string, unknown>): void {
  for (const option of NOT_WITH_KEY_EXCHANGE) {
    if (opts[option] === undefined) continue;
    throw new OptionRangeError(
      `opts.${option}`,
      option === 'peers'
        ? 'absent when opts.keyExchange is set, because senders then come from verified key announcements'
        : 'absent when opts.keyExchange is set, because key exchange keeps its own replay windows and topics',
      opts[option],
    );
  }
}
const BROKER_PROTOCOLS = ['ws', 'wss'];

export function resolveBrowserOptions(opts: unknown): ResolvedBrowserOptions {
  checkOptionsObject(opts);
  if (opts['tls'] !== undefined) {
    throw new UnsupportedOptionError(
      'opts.tls',
      'the browser reads no certificate files and picks client certificates itself',
    );
  }
  checkKnownKeys(opts, OPTION_KEYS, 'opts');
  const provider = checkProvider(opts['provider']);
  const identity = resolveKeyIdentity(opts['identity'], 'opts.identity', provider);
  const settings = resolveSettings(opts, identity, provider);

  const mqtt = checkMqttOptions<BrowserMqttOptions & Record<string, unknown>>(opts['mqtt']);
  for (const name of NODE_ONLY_MQTT_OPTIONS) {
    if (mqtt[name] !== undefined) {
      throw new UnsupportedOptionError(
        `opts.mqtt.${name}`,
        'TLS and client certificates of a WebSocket connection are handled by the browser and its certificate store',
      );
    }
  }
  if (mqtt['createWebsocket'] !== undefined) {
    throw new OptionRangeError(
      'opts.mqtt.createWebsocket',
      'absent, because the client installs its own; pass a WebSocket constructor as opts.webSocket',
      mqtt['createWebsocket'],
    );
  }

  const resolved: ResolvedBrowserOptions = {
    settings,
    mqtt,
    webSocket: checkWebSocket(opts['webSocket']),
    debug: checkDebug(opts['debug']),
  };
  const replayStateDatabase = checkOptionalString(opts['replayStateDatabase'], 'opts.replayStateDatabase');
  if (replayStateDatabase !== undefined) {
    if (opts['replayStore'] !== undefined) {
      throw new OptionRangeError(
        'opts.replayStateDatabase',
        'absent when opts.replayStore is set, so one replay store is used',
        replayStateDatabase,
      );
    }
    resolved.replayStateDatabase = replayStateDatabase;
  }
  return resolved;
}

function checkWebSocket(value: unknown): WebSocketConstructor {
  if (value === undefined) {
    if (typeof WebSocket !== 'function') {
      throw new InvalidOptionError(
        'opts.webSocket',
        'a WebSocket constructor, because this environment has no global WebSocket',
        value,
      );
    }
    return WebSocket;
  }
  if (typeof value !== 'function') {
    throw new InvalidOptionError('opts.webSocket', 'a WebSocket constructor', value);
  }
  return value as WebSocketConstructor;
}

function checkDebug(value: unknown): (message: string) => void {
  if (value === undefined) return () => undefined;
  if (typeof value !== 'function') {
    throw new InvalidOptionError('opts.debug', 'a function that takes a string', value);
  }
  return value as (message: string) => void;
}

/** Checks the broker URL and returns it without user name and password, for messages. */
export function checkBrokerUrl(brokerUrl: unknown): string {
  return checkBrokerUrlWith(brokerUrl, {
    protocols: BROKER_PROTOCOLS,
    example: 'wss://broker.example:8884/mqtt',
    schemeExpected: 'a ws: or wss: URL, because a browser reaches MQTT brokers only over WebSockets',
  });
}
