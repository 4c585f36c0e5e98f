/**
 * The keyExchange option of connectE2ee in the browser (spec/key-exchange-v1.md): the same
 * discovery, trust, rotation and groups as on Node.js, with identity and state in IndexedDB.
 */
import type { CryptoProvider, KeyPair } from '@mqtt-e2ee/envelope';
import {
  createKeyExchange,
  hasSigningKey,
  parseEndorsement,
  type DeviceIdentity,
  type Endorsement,
  type KeyExchange,
  type KeyExchangeStateParts,
} from '@mqtt-e2ee/key-exchange';
import {
  checkKeyExchangeObject,
  InvalidOptionError,
  keyExchangeSettings,
  mqttTransport,
  type KeyExchangeBaseOptions,
  OptionRangeError,
  wholeArray,
} from '@mqtt-e2ee/node-client/core';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { defaultKeyExchangeDatabase, IndexedDbKeyExchangeStore } from './kx-store.js';
import { closeAndRelease, lockStateDatabase, type StateLock } from './state-lock.js';

/** Options of key exchange in the browser: discovery of peers by client id, trust, rotation and groups. */
export interface BrowserKeyExchangeOptions extends KeyExchangeBaseOptions {
  /** Trust anchors: "mqe2e-ap1-…" texts or raw keys. */
  anchors?: readonly (string | Uint8Array)[];
  /** Endorsements of the own key: objects, or the JSON text that `mqtt-e2ee endorse` writes. */
  endorsements?: readonly (Endorsement | string)[];
  /**
   * IndexedDB database of the identity and state, or false to keep state in memory only.
   * Default 'mqtt-e2ee-kx-CLIENT_ID'. One client at a time owns the database through the Web Lock
   * 'mqtt-e2ee:kx:NAME', and a second one rejects with StateInUseError.
   */
  stateDatabase?: string | false;
}


/** Key exchange ready to attach, with the database it saves to. */
export interface ResolvedBrowserKeyExchange {
  identity: DeviceIdentity;
  store: IndexedDbKeyExchangeStore | undefined;
  /** Web Lock of the state database, released after the store closes. */
  lock: StateLock | undefined;
  create(mqtt: MqttClient): KeyExchange<IPublishPacket>;
}

/**
 * Resolves the keyExchange option. Without `identity`, the device identity (X25519 and Ed25519)
 * is read from the state database, or created there on first use. A given identity must have a
 * signing key (generateDeviceIdentity()).
 */
export async function resolveBrowserKeyExchange(
  value: unknown,
  identityOption: unknown,
  provider: CryptoProvider | undefined,
): Promise<ResolvedBrowserKeyExchange> {
  const options = checkOptions(value);
  if (identityOption !== undefined && !hasSigningKey(identityOption as KeyPair)) {
    throw new OptionRangeError(
      'opts.identity',
      'absent (identity kept in the state database) or an identity with a signing key from generateDeviceIdentity() when opts.keyExchange is set',
      identityOption,
    );
  }
  const endorsements = (options.endorsements ?? []).map((e, index) => readEndorsement(e, index));
  const databaseName = options.stateDatabase ?? defaultKeyExchangeDatabase(options.clientId);
  if (databaseName === false) {
    if (identityOption === undefined) {
      throw new OptionRangeError('opts.identity', 'an identity from generateDeviceIdentity() when opts.keyExchange.stateDatabase is false', identityOption);
    }
    return { identity: identityOption as DeviceIdentity, store: undefined, lock: undefined, create: factory(options, identityOption as DeviceIdentity, endorsements, provider, undefined, undefined, false) };
  }
  // The lock comes first, so that the state read below is not one that another client still changes.
  const lock = await lockStateDatabase('kx', databaseName, 'opts.keyExchange.stateDatabase');
  let store: IndexedDbKeyExchangeStore | undefined;
  try {
    store = await IndexedDbKeyExchangeStore.open({ databaseName });
    const ownIdentity = identityOption === undefined;
    const identity = ownIdentity ? await store.loadOrCreateIdentity(provider) : (identityOption as DeviceIdentity);
    const state = await store.readState();
    return { identity, store, lock, create: factory(options, identity, endorsements, provider, state, store, ownIdentity) };
  } catch (error) {
    await closeAndRelease(store, lock);
    throw error;
  }
}

function factory(
  options: BrowserKeyExchangeOptions,
  identity: DeviceIdentity,
  endorsements: Endorsement[],
  provider: CryptoProvider | undefined,
  state: KeyExchangeStateParts | undefined,
  store: IndexedDbKeyExchangeStore | undefined,
  ownIdentity: boolean,
): (mqtt: MqttClient) => KeyExchange<IPublishPacket> {
  return (mqtt) => {
    const kx = createKeyExchange<IPublishPacket>({
      ...keyExchangeSettings(options),
      transport: mqttTransport(mqtt, wholeArray),
      clientId: options.clientId,
      identity,
      policy: options.policy,
      anchors: options.anchors ?? [],
      endorsements,
      ...(state !== undefined ? { state } : {}),
      ...(provider !== undefined ? { provider } : {}),
      persistRotation: async (next) => {
        // The state (with the retired key) is saved before the new identity, so the retired key
        // stays usable whatever the identity record contains.
        await store?.save();
        if (ownIdentity) await store?.saveIdentity(next);
      },
    });
    if (store !== undefined) {
      store.track(() => ({ v: 1, ...kx.exportState() }));
      // NOTE: a failed background save is not reported. The next change or the flush saves again.
      kx.events.on('state', () => void store.save().catch(() => undefined));
      kx.onFlush(() => store.save());
    }
    return kx;
  };
}

function checkOptions(value: unknown): BrowserKeyExchangeOptions {
  const options = checkKeyExchangeObject<BrowserKeyExchangeOptions>(value, ['anchors', 'endorsements', 'stateDatabase']);
  const database = options.stateDatabase;
  if (database !== undefined && database !== false && (typeof database !== 'string' || database.length === 0)) {
    throw new InvalidOptionError('opts.keyExchange.stateDatabase', 'a non-empty database name or false', database);
  }
  return options;
}


function readEndorsement(value: Endorsement | string, index: number): Endorsement {
  if (typeof value !== 'string') return value;
  try {
    return parseEndorsement(new TextEncoder().encode(value));
  } catch (error) {
    throw new OptionRangeError(`opts.keyExchange.endorsements[${index}]`, 'endorsement JSON from `mqtt-e2ee endorse`', value.slice(0, 40), { cause: error });
  }
}
