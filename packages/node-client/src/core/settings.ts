/** Validation of the options that every platform entry shares. */
import {
  compileTopicMap,
  EnvelopeSealer,
  type CryptoProvider,
  type KeyPair,
  type PaddingOption,
  type ReplayStore,
  type TopicMapping,
} from '@mqtt-e2ee/envelope';
import type { PeerDirectory } from '@mqtt-e2ee/key-exchange';
import { InvalidOptionError, OptionRangeError } from './errors.js';
import { resolvePeers, type PublicKeyInput, type SenderResolver } from './keys.js';
import { MAX_REMAINING_LENGTH } from './limits.js';
import { checkBoolean, checkOptionalInteger, isPlainObject } from './validate.js';

/** Options of the client core that do not depend on the platform. */
export interface CoreOptions {
  /** Senders whose messages are accepted. Default: none, so every message is rejected. */
  peers?: PeerDirectory | readonly PublicKeyInput[];
  /** Crypto backend of the envelope layer. Default: nobleProvider. */
  provider?: CryptoProvider;
  /** Sequence numbers tracked per session against replay. Default 1024. */
  replayWindow?: number;
  /** Messages sealed per session before a new session starts. Default 65536. */
  maxMessagesPerSession?: number;
  /** Session age in milliseconds before a new session starts. Default one hour. */
  maxSessionAgeMs?: number;
  /**
   * Largest envelope sent or accepted, in bytes. Larger publishes reject with
   * MessageTooLargeError, larger incoming messages become a 'decrypt-error'. Default 268435455,
   * the largest MQTT packet.
   */
  maxMessageBytes?: number;
  /**
   * Store of the replay windows of received sessions. Default: a MemoryReplayStore, so a
   * restarted client accepts copies of messages it delivered before. A store with a
   * `flush(): Promise<void>` method saves asynchronously, and the client then delivers each
   * message only after flush resolves, so that no message is delivered before its state is durable.
   */
  replayStore?: ReplayStore;
  /**
   * Prefix rewrites applied to the topic bound into every envelope, for brokers bridged with a
   * changed prefix: `{ local, canonical }` pairs, longest `local` prefix first. Both sides must
   * map to the same canonical topic.
   */
  topicMap?: readonly TopicMapping[];
  /**
   * Length padding of sealed plaintexts: 'none' (default), 'buckets' (32 bytes to 64 KiB in
   * powers of two), or a strictly increasing list of bucket sizes in bytes.
   */
  padding?: PaddingOption;
  /**
   * True (default): a payload that is not an envelope is a 'decrypt-error'. False: it is passed
   * to the 'unencrypted' event, marked as unauthenticated, and never to 'message'.
   */
  strict?: boolean;
}

/** Option names of CoreOptions, for the unknown-option check of each platform entry. */
export const CORE_OPTION_KEYS = [
  'identity',
  'peers',
  'provider',
  'replayWindow',
  'maxMessagesPerSession',
  'maxSessionAgeMs',
  'maxMessageBytes',
  'replayStore',
  'topicMap',
  'padding',
  'strict',
] as const;

/** Checked settings from which createE2eeClient builds the sealer, opener and client. */
export interface ClientSettings {
  identity: KeyPair;
  peers: SenderResolver;
  provider?: CryptoProvider;
  replayWindow?: number;
  maxMessagesPerSession?: number;
  maxSessionAgeMs?: number;
  maxMessageBytes: number;
  replayStore?: ReplayStore;
  topicMap?: readonly TopicMapping[];
  padding?: PaddingOption;
  strict: boolean;
}

export function checkProvider(value: unknown): CryptoProvider | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Partial<CryptoProvider> | null;
  if (typeof value !== 'object' || candidate === null || typeof candidate.aeadSeal !== 'function') {
    throw new InvalidOptionError('opts.provider', 'a CryptoProvider such as nobleProvider', value);
  }
  return value as CryptoProvider;
}

/** Checks the CoreOptions fields of `opts`; the platform entry has resolved the identity. */
export function resolveSettings(
  opts: Record<string, unknown>,
  identity: KeyPair,
  provider: CryptoProvider | undefined,
): ClientSettings {
  const max = Number.MAX_SAFE_INTEGER;
  const settings: ClientSettings = {
    identity,
    peers: resolvePeers(opts['peers'], 'opts.peers'),
    maxMessageBytes:
      checkOptionalInteger(opts['maxMessageBytes'], 'opts.maxMessageBytes', 1, MAX_REMAINING_LENGTH) ??
      MAX_REMAINING_LENGTH,
    strict: checkBoolean(opts['strict'], 'opts.strict', true),
  };
  if (provider !== undefined) settings.provider = provider;
  const replayWindow = checkOptionalInteger(opts['replayWindow'], 'opts.replayWindow', 1, max);
  if (replayWindow !== undefined) settings.replayWindow = replayWindow;
  const maxMessages = checkOptionalInteger(
    opts['maxMessagesPerSession'],
    'opts.maxMessagesPerSession',
    1,
    max,
  );
  if (maxMessages !== undefined) settings.maxMessagesPerSession = maxMessages;
  const maxAge = checkOptionalInteger(opts['maxSessionAgeMs'], 'opts.maxSessionAgeMs', 1, max);
  if (maxAge !== undefined) settings.maxSessionAgeMs = maxAge;
  const replayStore = checkReplayStore(opts['replayStore']);
  if (replayStore !== undefined) settings.replayStore = replayStore;
  if (opts['topicMap'] !== undefined) settings.topicMap = checkTopicMap(opts['topicMap']);
  if (opts['padding'] !== undefined) settings.padding = checkPadding(opts['padding'], identity);
  return settings;
}

function checkReplayStore(value: unknown): ReplayStore | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Partial<ReplayStore> | null;
  if (
    typeof value !== 'object' ||
    candidate === null ||
    typeof candidate.load !== 'function' ||
    typeof candidate.save !== 'function'
  ) {
    throw new InvalidOptionError(
      'opts.replayStore',
      'a ReplayStore with load(sessionKey) and save(sessionKey, snapshot) methods',
      value,
    );
  }
  return value as ReplayStore;
}

/** Validates with the envelope's own rules and reports a failure under the option's name. */
function checkTopicMap(value: unknown): readonly TopicMapping[] {
  try {
    compileTopicMap(value, 'opts.topicMap');
  } catch (error) {
    throw optionError('opts.topicMap', 'an array of { local, canonical } topic prefixes', value, error);
  }
  return value as readonly TopicMapping[];
}

/** Builds a throwaway sealer, because the envelope layer owns the padding rules. */
function checkPadding(value: unknown, identity: KeyPair): PaddingOption {
  try {
    new EnvelopeSealer({ identity, padding: value as PaddingOption });
  } catch (error) {
    throw optionError(
      'opts.padding',
      "'none', 'buckets' or a strictly increasing array of bucket sizes in bytes",
      value,
      error,
    );
  }
  return value as PaddingOption;
}

/**
 * Converts a TypeError or RangeError of the envelope layer, keeping its detail, such as which
 * entry is wrong, in the message. Other errors pass unchanged.
 */
function optionError(option: string, expected: string, value: unknown, error: unknown): unknown {
  if (!(error instanceof TypeError || error instanceof RangeError)) return error;
  const detailed = `${expected} (${error.message})`;
  return error instanceof RangeError
    ? new OptionRangeError(option, detailed, value, { cause: error })
    : new InvalidOptionError(option, detailed, value, { cause: error });
}

/**
 * Checks the MQTT.js options that every platform shares and returns a shallow copy: an object,
 * protocolVersion 3, 4 or 5, and no manualConnect.
 */
export function checkMqttOptions<T extends object>(mqtt: unknown): T {
  if (mqtt !== undefined && (typeof mqtt !== 'object' || mqtt === null || Array.isArray(mqtt))) {
    throw new InvalidOptionError('opts.mqtt', 'an object of MQTT.js client options', mqtt);
  }
  const options = { ...(mqtt as Record<string, unknown> | undefined) };
  const version = options['protocolVersion'];
  if (version !== undefined && version !== 3 && version !== 4 && version !== 5) {
    throw new OptionRangeError(
      'opts.mqtt.protocolVersion',
      '3 (MQTT 3.1), 4 (MQTT 3.1.1) or 5',
      version,
    );
  }
  if (options['manualConnect'] === true) {
    throw new OptionRangeError(
      'opts.mqtt.manualConnect',
      'false or absent, because the client resolves only once the broker accepts the connection',
      true,
    );
  }
  return options as T;
}

/** Throws InvalidOptionError unless `opts` is a plain object. */
export function checkOptionsObject(opts: unknown): asserts opts is Record<string, unknown> {
  if (!isPlainObject(opts)) {
    throw new InvalidOptionError('opts', "an object with at least 'identity'", opts);
  }
}
