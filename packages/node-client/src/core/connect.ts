/** Assembly of an E2eeClient from checked settings and an MQTT.js client the platform opens. */
import {
  EnvelopeOpener,
  EnvelopeSealer,
  type EnvelopeOpenerOptions,
  type EnvelopeSealerOptions,
  type KeyPair,
  type ReplayStore,
} from '@mqtt-e2ee/envelope';
import type { KeyExchange } from '@mqtt-e2ee/key-exchange';
import type { IConnackPacket, IPublishPacket, MqttClient } from 'mqtt';
import { E2eeClient, type WirePayload } from './client.js';
import { ConnectError } from './errors.js';
import { keyCodec, resolveKeyIdentity } from './keys.js';
import {
  checkOptionsObject,
  checkProvider,
  CORE_OPTION_KEYS,
  resolveSettings,
  type ClientSettings,
  type CoreOptions,
} from './settings.js';
import { checkKnownKeys } from './validate.js';

/** What differs between platforms once the options are checked. */
export interface PlatformHooks {
  /**
   * Converts an envelope to what the MQTT.js build sends. Default: the envelope, copied into an
   * array of its own when it is a view into a larger block.
   */
  toWire?: (envelope: Uint8Array) => WirePayload;
  /** Debug log of connects, closes and rejected message codes. Default: no logging. */
  log?: (message: string) => void;
  /**
   * Creates key exchange on the opened MQTT.js client (spec/key-exchange-v1.md). It is started
   * after the first CONNACK; a failure to start (for example ERR_NOT_AUTHORIZED or
   * ERR_RETAIN_UNAVAILABLE) ends the connection and rejects the connect call with that error.
   */
  keyExchange?: (mqtt: MqttClient) => KeyExchange<IPublishPacket>;
  /**
   * Closes the platform's state storage after the connection ended. E2eeClient.end() resolves
   * only after it settles, so the storage is free for the next client then. Called once per end().
   */
  closeState?: () => Promise<void>;
}

/** Options of connectE2eeWith: CoreOptions and an identity as a KeyPair or secret key text. */
export interface CoreConnectOptions extends CoreOptions {
  identity: KeyPair | string;
}

/**
 * Creates an E2eeClient on the MQTT.js client that `open` returns and resolves on its first
 * CONNACK. `open` is called once; it may use any MQTT.js build and transport. On a failed first
 * connection the MQTT.js client is ended and the promise rejects with ConnectError.
 */
export async function connectE2eeWith(
  open: () => MqttClient,
  opts: CoreConnectOptions,
  hooks: PlatformHooks & { brokerLabel?: string } = {},
): Promise<E2eeClient> {
  checkOptionsObject(opts);
  checkKnownKeys(opts, CORE_OPTION_KEYS, 'opts');
  const provider = checkProvider(opts['provider']);
  const identity = resolveKeyIdentity(opts['identity'], 'opts.identity', provider);
  const settings = resolveSettings(opts, identity, provider);
  return openE2eeClient(settings, open, hooks.brokerLabel ?? 'the broker', hooks);
}

/**
 * Creates the client with `open` and waits for the first CONNACK. `shownUrl` names the broker
 * in ConnectError and must not contain credentials.
 */
export async function openE2eeClient(
  settings: ClientSettings,
  open: () => MqttClient,
  shownUrl: string,
  hooks: PlatformHooks,
): Promise<E2eeClient> {
  const client = createE2eeClient(settings, open, shownUrl, hooks);
  let connack: IConnackPacket;
  try {
    connack = await waitForConnack(client.mqtt);
  } catch (error) {
    await client.mqtt.endAsync(true).catch(() => undefined);
    throw new ConnectError(shownUrl, error);
  }
  try {
    await client.startKeyExchange(connack);
  } catch (error) {
    // Ending here stops MQTT.js from reconnecting, so a broker without retained messages or
    // with a refused subscription is reported once and never retried in a loop.
    await client.mqtt.endAsync(true).catch(() => undefined);
    throw error;
  }
  return client;
}

function createE2eeClient(
  settings: ClientSettings,
  open: () => MqttClient,
  shownUrl: string,
  hooks: PlatformHooks,
): E2eeClient {
  const sealerOptions: EnvelopeSealerOptions = { identity: settings.identity };
  const openerOptions: EnvelopeOpenerOptions = {
    identities: [settings.identity],
    resolveSender: (keyId) => settings.peers.resolveSender(keyId),
  };
  if (settings.provider !== undefined) {
    sealerOptions.provider = settings.provider;
    openerOptions.provider = settings.provider;
  }
  if (settings.maxMessagesPerSession !== undefined) {
    sealerOptions.maxMessagesPerSession = settings.maxMessagesPerSession;
  }
  if (settings.maxSessionAgeMs !== undefined) {
    sealerOptions.maxSessionAgeMs = settings.maxSessionAgeMs;
  }
  if (settings.replayWindow !== undefined) openerOptions.replayWindow = settings.replayWindow;
  if (settings.replayStore !== undefined) openerOptions.replayStore = settings.replayStore;
  if (settings.topicMap !== undefined) {
    sealerOptions.topicMap = settings.topicMap;
    openerOptions.topicMap = settings.topicMap;
  }
  if (settings.padding !== undefined) sealerOptions.padding = settings.padding;

  const sealer = new EnvelopeSealer(sealerOptions);
  const opener = new EnvelopeOpener(openerOptions);

  let mqtt: MqttClient;
  try {
    mqtt = open();
  } catch (error) {
    // MQTT.js throws synchronously for option errors such as an unknown protocol.
    throw new ConnectError(shownUrl, error);
  }
  // The E2eeClient attaches its message listener before the first CONNACK, so messages that a
  // persistent session delivers right after connecting are decrypted too.
  return new E2eeClient({
    mqtt,
    identity: settings.identity,
    sealer,
    makeSealer: (identity) => new EnvelopeSealer({ ...sealerOptions, identity }),
    opener,
    resolveSender: openerOptions.resolveSender,
    ...(settings.peers.revision !== undefined ? { peersRevision: settings.peers.revision } : {}),
    keys: keyCodec,
    maxMessageBytes: settings.maxMessageBytes,
    toWire: hooks.toWire ?? wholeArray,
    log: hooks.log ?? (() => undefined),
    strict: settings.strict,
    ...flushOf(settings.replayStore),
    ...(hooks.keyExchange !== undefined ? { keyExchange: hooks.keyExchange(mqtt) } : {}),
    ...(hooks.closeState !== undefined ? { closeState: hooks.closeState } : {}),
  });
}

/**
 * Returns the flush of a replay store that saves asynchronously, which is a store with a
 * `flush(): Promise<void>` method such as the IndexedDB store. Its saves are durable only once
 * flush resolves.
 */
function flushOf(store: ReplayStore | undefined): { flushReplayState?: () => Promise<void> } {
  const flush = (store as { flush?: unknown } | undefined)?.flush;
  if (typeof flush !== 'function') return {};
  return { flushReplayState: () => (flush as () => Promise<void>).call(store) };
}

/** Resolves on the first CONNACK; rejects on the first error, or on close or end before it. */
function waitForConnack(mqtt: MqttClient): Promise<IConnackPacket> {
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const cleanup = (): void => {
      mqtt.off('connect', onConnect);
      mqtt.off('error', onError);
      mqtt.off('close', onClose);
      mqtt.off('end', onClose);
    };
    const onConnect = (connack: IConnackPacket): void => {
      cleanup();
      resolve(connack);
    };
    const onError = (error: Error): void => {
      lastError = error;
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(lastError ?? new Error('the connection closed before the broker sent CONNACK'));
    };
    mqtt.on('connect', onConnect);
    mqtt.on('error', onError);
    mqtt.on('close', onClose);
    mqtt.on('end', onClose);
  });
}

/**
 * Default conversion of an envelope for MQTT.js, used where no platform hook is given (the
 * browser). Envelopes are views into shared blocks, and MQTT.js clones a QoS 1 or 2 payload that
 * is not a Buffer by copying its whole underlying ArrayBuffer, so such a view is copied into an
 * array of its own first.
 */
export function wholeArray(envelope: Uint8Array): WirePayload {
  const whole = envelope.byteOffset === 0 && envelope.byteLength === envelope.buffer.byteLength;
  return (whole ? envelope : envelope.slice()) as WirePayload;
}
