/** Validation and resolution of connectE2ee options: files are read, keys decoded. */
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import type { KeyPair } from '@mqtt-e2ee/envelope';
import { fastestProvider } from '@mqtt-e2ee/envelope/node';
import { JsonFileReplayStore } from '@mqtt-e2ee/envelope/replay-file';
import type { IClientOptions } from 'mqtt';
import { InvalidOptionError, OptionFileError, OptionRangeError } from './core/errors.js';
import {
  checkMqttOptions,
  checkOptionsObject,
  checkProvider,
  CORE_OPTION_KEYS,
  resolveSettings,
  type ClientSettings,
  type CoreOptions,
} from './core/settings.js';
import { checkKnownKeys, checkOptionalString, isPlainObject } from './core/validate.js';
import {
  prepareIdentityFile,
  resolveKeyExchange,
  type KeyExchangeOptions,
  type ResolvedKeyExchange,
} from './key-exchange.js';
import { resolveIdentity } from './keys.js';

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

/**
 * Options of connectE2ee. Without `provider`, the Node.js entry uses fastestProvider() from
 * '@mqtt-e2ee/envelope/node': libsodium when sodium-native loads, else node:crypto, else noble.
 */
export interface ConnectE2eeOptions extends CoreOptions {
  /** The local key pair, a secret key text ('mqe2e-sk1-…'), or the path of a .key file. */
  identity: KeyPair | string;
  /** MQTT.js options, passed through unchanged apart from the files read from `tls`. */
  mqtt?: MqttOptions;
  tls?: TlsFileOptions;
  /**
   * Key exchange over MQTT (spec/key-exchange-v1.md): announces the own key, discovers peers by
   * client id, applies a trust policy, and enables rotation and groups. Replaces `peers`.
   */
  keyExchange?: KeyExchangeOptions;
  /**
   * Path of a JSON Lines file that keeps the replay windows across restarts
   * (JsonFileReplayStore, one fsync per delivered message). Created when missing. Only one
   * client may use a file at a time, and the client closes it when the connection ends. Replaces
   * `replayStore`.
   */
  replayStateFile?: string;
}

export interface ResolvedOptions {
  settings: ClientSettings;
  mqtt: MqttOptions;
  keyExchange?: ResolvedKeyExchange;
  /** The file store opened for `replayStateFile`, which the caller closes when the client ends. */
  replayFile?: JsonFileReplayStore;
}

const OPTION_KEYS = [...CORE_OPTION_KEYS, 'mqtt', 'tls', 'keyExchange', 'replayStateFile'] as const;
/** Options that the key exchange path does not apply yet, because it opens envelopes with its own openers. */
const NOT_WITH_KEY_EXCHANGE = ['peers', 'replayStore', 'replayStateFile', 'topicMap'] as const;
const TLS_FILES = [
  ['caFile', 'ca'],
  ['certFile', 'cert'],
  ['keyFile', 'key'],
] as const;
const TLS_FILE_KEYS = TLS_FILES.map(([fileKey]) => fileKey);

export async function resolveOptions(opts: unknown): Promise<ResolvedOptions> {
  checkOptionsObject(opts);
  checkKnownKeys(opts, OPTION_KEYS, 'opts');
  const provider = checkProvider(opts['provider']) ?? fastestProvider();
  // With key exchange, a missing identity file BASE.key is created with a signing key.
  if (opts['keyExchange'] !== undefined) await prepareIdentityFile(opts['identity'], provider);
  const identity = await resolveIdentity(opts['identity'], 'opts.identity', provider);
  const settings = resolveSettings(opts, identity, provider);
  const mqtt = await resolveMqttOptions(opts['mqtt'], opts['tls']);
  const replayStateFile = checkReplayStateFile(opts);
  if (opts['keyExchange'] === undefined) {
    if (replayStateFile === undefined) return { settings, mqtt };
    // Opened last, so that no earlier option error leaves the file open.
    const replayFile = openReplayFile(replayStateFile);
    settings.replayStore = replayFile;
    return { settings, mqtt, replayFile };
  }
  for (const option of NOT_WITH_KEY_EXCHANGE) {
    if (opts[option] === undefined) continue;
    throw new OptionRangeError(
      `opts.${option}`,
      option === 'peers'
        ? 'absent when opts.keyExchange is set, because senders then come from verified key announcements'
        : 'absent when opts.keyExchange is set, because key exchange opens envelopes with its own replay windows and topics',
      opts[option],
    );
  }
  const keyExchange = await resolveKeyExchange(opts['keyExchange'], opts['identity'], identity, provider);
  settings.identity = keyExchange.identity;
  return { settings, mqtt, keyExchange };
}

function checkReplayStateFile(opts: Record<string, unknown>): string | undefined {
  const path = checkOptionalString(opts['replayStateFile'], 'opts.replayStateFile');
  if (path !== undefined && opts['replayStore'] !== undefined) {
    throw new OptionRangeError(
      'opts.replayStateFile',
      'absent when opts.replayStore is set, so one replay store is used',
      path,
    );
  }
  return path;
}

function openReplayFile(path: string): JsonFileReplayStore {
  try {
    return new JsonFileReplayStore({ path });
  } catch (error) {
    throw new OptionFileError('opts.replayStateFile', path, error);
  }
}

async function resolveMqttOptions(mqtt: unknown, tls: unknown): Promise<MqttOptions> {
  const options = checkMqttOptions<MqttOptions>(mqtt);
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
