/** Validation and resolution of connectE2ee options: files are read, keys decoded. */
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import type { CryptoProvider, KeyPair } from '@mqtt-e2ee/envelope';
import type { PeerDirectory } from '@mqtt-e2ee/key-exchange';
import type { IClientOptions } from 'mqtt';
import { InvalidOptionError, OptionFileError, OptionRangeError } from './errors.js';
import { resolveIdentity, resolvePeers, type PublicKeyInput, type SenderResolver } from './keys.js';
import {
  checkKnownKeys,
  checkOptionalInteger,
  checkOptionalString,
  isPlainObject,
} from './validate.js';

/**
 * MQTT.js client options. MQTT.js hands the whole object to tls.connect for mqtts: and wss:
 * URLs, so TLS options such as `passphrase`, `servername` or `minVersion` are accepted too.
 */
export type MqttOptions = IClientOptions & Omit<ConnectionOptions, keyof IClientOptions>;

/** PEM files read at connect time and passed to MQTT.js as `ca`, `cert` and `key`. */
export interface TlsFileOptions {
  /** CA certificates that sign the broker's certificate. */
  caFile?: string;
  /** Client certificate for mutual TLS. */
  certFile?: string;
  /** Private key of the client certificate. */
  keyFile?: string;
}

/** Options of connectE2ee. */
export interface ConnectE2eeOptions {
  /** The local key pair, a secret key text ('mqe2e-sk1-…'), or the path of a .key file. */
  identity: KeyPair | string;
  /** Senders whose messages are accepted. Default: none, so every message is rejected. */
  peers?: PeerDirectory | readonly PublicKeyInput[];
  /** MQTT.js options, passed through unchanged apart from the files read from `tls`. */
  mqtt?: MqttOptions;
  tls?: TlsFileOptions;
  /** Crypto backend of the envelope layer. Default: nobleProvider. */
  provider?: CryptoProvider;
  /** Sequence numbers tracked per session against replay. Default 1024. */
  replayWindow?: number;
  /** Messages sealed per session before a new session starts. Default 65536. */
  maxMessagesPerSession?: number;
  /** Session age in milliseconds before a new session starts. Default one hour. */
  maxSessionAgeMs?: number;
}

export interface ResolvedOptions {
  identity: KeyPair;
  peers: SenderResolver;
  mqtt: MqttOptions;
  provider?: CryptoProvider;
  replayWindow?: number;
  maxMessagesPerSession?: number;
  maxSessionAgeMs?: number;
}

const OPTION_KEYS = [
  'identity',
  'peers',
  'mqtt',
  'tls',
  'provider',
  'replayWindow',
  'maxMessagesPerSession',
  'maxSessionAgeMs',
] as const;
const TLS_FILES = [
  ['caFile', 'ca'],
  ['certFile', 'cert'],
  ['keyFile', 'key'],
] as const;
const TLS_FILE_KEYS = TLS_FILES.map(([fileKey]) => fileKey);

export async function resolveOptions(opts: unknown): Promise<ResolvedOptions> {
  if (!isPlainObject(opts)) {
    throw new InvalidOptionError('opts', "an object with at least 'identity'", opts);
  }
  checkKnownKeys(opts, OPTION_KEYS, 'opts');
  const provider = checkProvider(opts['provider']);
  const resolved: ResolvedOptions = {
    identity: await resolveIdentity(opts['identity'], 'opts.identity', provider),
    peers: resolvePeers(opts['peers'], 'opts.peers'),
    mqtt: await resolveMqttOptions(opts['mqtt'], opts['tls']),
  };
  if (provider !== undefined) resolved.provider = provider;
  const max = Number.MAX_SAFE_INTEGER;
  const replayWindow = checkOptionalInteger(opts['replayWindow'], 'opts.replayWindow', 1, max);
  if (replayWindow !== undefined) resolved.replayWindow = replayWindow;
  const maxMessages = checkOptionalInteger(
    opts['maxMessagesPerSession'],
    'opts.maxMessagesPerSession',
    1,
    max,
  );
  if (maxMessages !== undefined) resolved.maxMessagesPerSession = maxMessages;
  const maxAge = checkOptionalInteger(opts['maxSessionAgeMs'], 'opts.maxSessionAgeMs', 1, max);
  if (maxAge !== undefined) resolved.maxSessionAgeMs = maxAge;
  return resolved;
}

function checkProvider(value: unknown): CryptoProvider | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Partial<CryptoProvider> | null;
  if (typeof value !== 'object' || candidate === null || typeof candidate.aeadSeal !== 'function') {
    throw new InvalidOptionError('opts.provider', 'a CryptoProvider such as nobleProvider', value);
  }
  return value as CryptoProvider;
}

async function resolveMqttOptions(mqtt: unknown, tls: unknown): Promise<MqttOptions> {
  if (mqtt !== undefined && (typeof mqtt !== 'object' || mqtt === null || Array.isArray(mqtt))) {
    throw new InvalidOptionError('opts.mqtt', 'an object of MQTT.js client options', mqtt);
  }
  const options: MqttOptions = { ...(mqtt as MqttOptions | undefined) };
  const version = options.protocolVersion;
  if (version !== undefined && version !== 3 && version !== 4 && version !== 5) {
    throw new OptionRangeError(
      'opts.mqtt.protocolVersion',
      '3 (MQTT 3.1), 4 (MQTT 3.1.1) or 5',
      version,
    );
  }
  if (options.manualConnect === true) {
    throw new OptionRangeError(
      'opts.mqtt.manualConnect',
      'false or absent, because connectE2ee resolves only once the broker accepts the connection',
      true,
    );
  }
  if (tls === undefined) return options;
  if (!isPlainObject(tls)) {
    throw new InvalidOptionError('opts.tls', 'an object with caFile, certFile or keyFile', tls);
  }
  checkKnownKeys(tls, TLS_FILE_KEYS, 'opts.tls');
  for (const [fileKey, mqttKey] of TLS_FILES) {
    const path = checkOptionalString(tls[fileKey], `opts.tls.${fileKey}`);
    if (path === undefined) continue;
    if (options[mqttKey] !== undefined) {
      throw new OptionRangeError(
        `opts.tls.${fileKey}`,
        `absent when opts.mqtt.${mqttKey} is set, so one source is used`,
        path,
      );
    }
    options[mqttKey] = await readOptionFile(path, `opts.tls.${fileKey}`);
  }
  return options;
}

async function readOptionFile(path: string, option: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new OptionFileError(option, path, error);
  }
}
