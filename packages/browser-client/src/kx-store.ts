/**
 * IndexedDB storage of key exchange (spec/key-exchange-v1.md, "State"): the device identity with
 * its signing key, and the state that the Node client keeps in BASE.state.json (pins, accepted
 * announcements, revocations, retired keys, group epochs and replay windows).
 */
import { nobleProvider, type CryptoProvider } from '@mqtt-e2ee/envelope';
import {
  generateDeviceIdentity,
  signingKeyPairFromSecretKey,
  type DeviceIdentity,
  type KeyExchangeState,
} from '@mqtt-e2ee/key-exchange';
import { keyPairFromSecretKey } from '@mqtt-e2ee/envelope';
import { KeyStoreError } from './errors.js';
import { openDatabase, requestResult, transactionDone } from './idb.js';

/** Default database name of the key exchange state of client id CLIENT_ID. */
export function defaultKeyExchangeDatabase(clientId: string): string {
  return `mqtt-e2ee-kx-${clientId}`;
}

export interface KeyExchangeStoreOptions {
  /** Database name, for example defaultKeyExchangeDatabase(clientId). */
  databaseName: string;
  /** IndexedDB factory. Default: the page's indexedDB. */
  indexedDB?: IDBFactory;
}

const RECORDS = 'records';
const IDENTITY = 'identity';
const STATE = 'state';

interface IdentityRecord {
  name: typeof IDENTITY;
  secretKey: Uint8Array;
  signingSecretKey: Uint8Array;
}

interface StateRecord {
  name: typeof STATE;
  /** The state as the JSON text of a Node state file, so both platforms share one format. */
  json: string;
}

/**
 * One database per client: the device identity and the key exchange state. Saves are serialized:
 * a save requested while another runs becomes one more write of the newest state.
 */
export class IndexedDbKeyExchangeStore {
  readonly databaseName: string;
  readonly #db: IDBDatabase;
  #running: Promise<void> | undefined;
  #again = false;
  #collect: (() => KeyExchangeState) | undefined;
  #closed: Promise<void> | undefined;

  private constructor(db: IDBDatabase, databaseName: string) {
    this.#db = db;
    this.databaseName = databaseName;
  }

  /** Opens (and on first use creates) the database. */
  static async open(options: KeyExchangeStoreOptions): Promise<IndexedDbKeyExchangeStore> {
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (factory === undefined) {
      throw new KeyStoreError(
        'unavailable',
        'IndexedDB is not available in this page. Pass keyExchange.stateDatabase: false and an identity from generateDeviceIdentity().',
      );
    }
    const db = await openDatabase(factory, options.databaseName, { [RECORDS]: 'name' });
    return new IndexedDbKeyExchangeStore(db, options.databaseName);
  }

  /**
   * Returns the stored device identity, or creates, stores and returns a new one. Pages and
   * workers that call this at the same time on one database all get the same identity: the first
   * one stored.
   */
  async loadOrCreateIdentity(provider: CryptoProvider = nobleProvider): Promise<DeviceIdentity> {
    const stored = await this.#get<IdentityRecord>(IDENTITY);
    if (stored !== undefined) return identityFromRecord(stored, provider);
    const created = identityRecord(generateDeviceIdentity(provider));
    return identityFromRecord(await this.#getOrAdd(created), provider);
  }

  /** Stores `identity` in place of the current one, as after a key rotation. */
  async saveIdentity(identity: DeviceIdentity): Promise<void> {
    await this.#put(identityRecord(identity), 'store the key exchange identity');
  }

  /** Reads the stored state, or undefined when none was saved yet. */
  async readState(): Promise<KeyExchangeState | undefined> {
    const record = await this.#get<StateRecord>(STATE);
    if (record === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(record.json);
    } catch (error) {
      throw new KeyStoreError('failed', `Key exchange state in ${JSON.stringify(this.databaseName)} is not valid JSON. Delete the database to start with empty state.`, { cause: error });
    }
    if (typeof value !== 'object' || value === null || (value as { v?: unknown }).v !== 1) {
      throw new KeyStoreError('failed', `Key exchange state in ${JSON.stringify(this.databaseName)} is not version 1. Delete the database to start with empty state.`);
    }
    return value as KeyExchangeState;
  }

  /** Sets the function that returns the current state for save(). */
  track(collect: () => KeyExchangeState): void {
    this.#collect = collect;
  }

  /** Saves the current state and resolves once a write that includes it committed. */
  save(): Promise<void> {
    // After close() the final write contains the newest state, so later saves wait for it.
    if (this.#closed !== undefined) return this.#closed;
    if (this.#collect === undefined) return Promise.resolve();
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Writes the state once more after a running save, then closes the database. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        await this.#running?.catch(() => undefined);
        const collect = this.#collect;
        if (collect !== undefined) await this.#write(collect);
      } finally {
        this.#db.close();
      }
    })();
    return this.#closed;
  }

  async #loop(): Promise<void> {
    const collect = this.#collect;
    if (collect === undefined) return;
    do {
      this.#again = false;
      await this.#write(collect);
    } while (this.#again);
  }

  async #write(collect: () => KeyExchangeState): Promise<void> {
    const record: StateRecord = { name: STATE, json: JSON.stringify(collect()) };
    await this.#put(record, 'save the key exchange state');
  }

  async #get<T>(name: string): Promise<T | undefined> {
    const transaction = this.#db.transaction(RECORDS, 'readonly');
    const request = transaction.objectStore(RECORDS).get(name);
    return (await requestResult(request, `read ${name} from ${this.databaseName}`)) as T | undefined;
  }

  /**
   * Adds `record` unless an identity is stored, and returns the identity stored afterwards. The
   * read and the add share one readwrite transaction. IndexedDB runs readwrite transactions on
   * the same object store one after another, also across tabs, so no other write comes between.
   */
  async #getOrAdd(record: IdentityRecord): Promise<IdentityRecord> {
    const transaction = this.#db.transaction(RECORDS, 'readwrite');
    const done = transactionDone(transaction, `store the key exchange identity in ${this.databaseName}`);
    const records = transaction.objectStore(RECORDS);
    let existing: IdentityRecord | undefined;
    const read = records.get(IDENTITY);
    read.onsuccess = () => {
      existing = read.result as IdentityRecord | undefined;
      if (existing === undefined) records.add(record);
    };
    await done;
    return existing ?? record;
  }

  async #put(record: IdentityRecord | StateRecord, action: string): Promise<void> {
    const transaction = this.#db.transaction(RECORDS, 'readwrite');
    const done = transactionDone(transaction, action);
    transaction.objectStore(RECORDS).put(record);
    await done;
  }
}

function identityRecord(identity: DeviceIdentity): IdentityRecord {
  return {
    name: IDENTITY,
    secretKey: identity.secretKey.slice(),
    signingSecretKey: identity.signing.secretKey.slice(),
  };
}

function identityFromRecord(record: IdentityRecord, provider: CryptoProvider): DeviceIdentity {
  return {
    ...keyPairFromSecretKey(record.secretKey, provider),
    signing: signingKeyPairFromSecretKey(record.signingSecretKey),
  };
}

/**
 * Returns the device identity stored in the key exchange database `databaseName`, creating it on
 * first use. Its public keys are what an anchor endorses before the first connect.
 */
export async function loadOrCreateDeviceIdentity(
  databaseName: string,
  options: { indexedDB?: IDBFactory; provider?: CryptoProvider } = {},
): Promise<DeviceIdentity> {
  const store = await IndexedDbKeyExchangeStore.open({
    databaseName,
    ...(options.indexedDB !== undefined ? { indexedDB: options.indexedDB } : {}),
  });
  try {
    return await store.loadOrCreateIdentity(options.provider);
  } finally {
    await store.close();
  }
}
