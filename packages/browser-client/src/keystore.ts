/**
 * Identities and peers stored in the page's IndexedDB. Secret keys are stored as raw bytes in the
 * origin's database and are returned only to code in the page: as the KeyPair that connectE2ee
 * needs, or as key text from exportSecretKeyText when the user asks to export one.
 */
import {
  generateKeyPair,
  keyIdHex,
  keyPairFromSecretKey,
  nobleProvider,
  type CryptoProvider,
  type KeyPair,
} from '@mqtt-e2ee/envelope';
import {
  decodeSecretKey,
  encodePublicKey,
  encodeSecretKey,
  KeyFormatError,
  PeerDirectory,
  type PublicKeyInput,
} from '@mqtt-e2ee/key-exchange';
import {
  decodePublicKeyInput,
  InvalidOptionError,
  OptionRangeError,
} from '@mqtt-e2ee/node-client/core';
import { KeyStoreError } from './errors.js';
import { openDatabase, requestResult, transactionDone } from './idb.js';

/** Default IndexedDB database name. */
export const DEFAULT_DATABASE_NAME = 'mqtt-e2ee';
/** Maximum length of an identity name, in UTF-16 code units. */
export const MAX_IDENTITY_NAME_LENGTH = 100;

const IDENTITIES = 'identities';
const PEERS = 'peers';

/** A stored identity without its secret key. */
export interface IdentityInfo {
  name: string;
  keyId: string;
  publicKeyText: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A stored peer. */
export interface PeerInfo {
  publicKeyText: string;
  keyId: string;
  name?: string;
}

interface IdentityRecord {
  name: string;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  createdAt: number;
}

export interface KeyStoreOptions {
  /** Database name, so that several independent stores can share an origin. Default 'mqtt-e2ee'. */
  databaseName?: string;
  /** IndexedDB factory. Default: the page's indexedDB. */
  indexedDB?: IDBFactory;
  /** Crypto backend for key generation. Default: nobleProvider, which needs only crypto.getRandomValues. */
  provider?: CryptoProvider;
}

export class BrowserKeyStore {
  /**
   * Peers stored in this database, as a PeerDirectory for the `peers` option of connectE2ee. It
   * follows addPeer and removePeer calls on this store; changes made by other tabs show after
   * reopening the store.
   */
  readonly peers: PeerDirectory;
  readonly #db: IDBDatabase;
  readonly #provider: CryptoProvider;

  private constructor(db: IDBDatabase, provider: CryptoProvider, peers: PeerDirectory) {
    this.#db = db;
    this.#provider = provider;
    this.peers = peers;
  }

  /** Opens (and on first use creates) the key store database. */
  static async open(options: KeyStoreOptions = {}): Promise<BrowserKeyStore> {
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (factory === undefined) {
      throw new KeyStoreError(
        'unavailable',
        'IndexedDB is not available in this page (private browsing in some browsers disables it); pass the identity as a KeyPair instead.',
      );
    }
    const name = options.databaseName ?? DEFAULT_DATABASE_NAME;
    const db = await openDatabase(factory, name, {
      [IDENTITIES]: 'name',
      [PEERS]: 'publicKeyText',
    });
    const peers = new PeerDirectory();
    const store = new BrowserKeyStore(db, options.provider ?? nobleProvider, peers);
    for (const peer of await store.listPeers()) peers.addPeer(peer.publicKeyText, peer.name);
    return store;
  }

  /** Generates and stores a new identity; rejects with KeyStoreError 'exists' if the name is taken. */
  async createIdentity(name: string): Promise<KeyPair> {
    return this.#store(checkName(name), generateKeyPair(this.#provider));
  }

  /** Stores an identity from secret key text, for example one exported from another device. */
  async importIdentity(name: string, secretKeyText: string): Promise<KeyPair> {
    const checkedName = checkName(name);
    let secretKey: Uint8Array;
    try {
      secretKey = decodeSecretKey(secretKeyText);
    } catch (error) {
      if (!(error instanceof KeyFormatError)) throw error;
      throw new OptionRangeError(
        'secretKeyText',
        `valid secret key text (${error.message.replace(/\.$/, '')})`,
        secretKeyText,
        { cause: error },
      );
    }
    return this.#store(checkedName, keyPairFromSecretKey(secretKey, this.#provider));
  }

  /** Returns the stored identity; rejects with KeyStoreError 'not-found' if there is none. */
  async loadIdentity(name: string): Promise<KeyPair> {
    const record = await this.#read(checkName(name));
    if (record === undefined) {
      throw new KeyStoreError(
        'not-found',
        `No identity named ${JSON.stringify(name)} is stored; create it with createIdentity.`,
      );
    }
    return { secretKey: record.secretKey.slice(), publicKey: record.publicKey.slice() };
  }

  /**
   * Returns the stored identity, creating it first if there is none. Two tabs that call this at
   * the same time get the same identity: IndexedDB's add() lets only one of them store a key.
   */
  async loadOrCreateIdentity(name: string): Promise<KeyPair> {
    try {
      return await this.loadIdentity(name);
    } catch (error) {
      if (!(error instanceof KeyStoreError) || error.reason !== 'not-found') throw error;
    }
    try {
      return await this.createIdentity(name);
    } catch (error) {
      if (!(error instanceof KeyStoreError) || error.reason !== 'exists') throw error;
      return this.loadIdentity(name);
    }
  }

  /** Lists stored identities without their secret keys, sorted by name. */
  async listIdentities(): Promise<IdentityInfo[]> {
    const records = await this.#all<IdentityRecord>(IDENTITIES);
    return records
      .map((record) => ({
        name: record.name,
        keyId: keyIdHex(record.publicKey),
        publicKeyText: encodePublicKey(record.publicKey),
        createdAt: record.createdAt,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Returns the secret key as text; call it only when the user asks to export the identity. */
  async exportSecretKeyText(name: string): Promise<string> {
    return encodeSecretKey((await this.loadIdentity(name)).secretKey);
  }

  /** Deletes an identity and returns whether it existed. */
  async deleteIdentity(name: string): Promise<boolean> {
    const checkedName = checkName(name);
    const existed = (await this.#read(checkedName)) !== undefined;
    await this.#write(IDENTITIES, (store) => store.delete(checkedName), 'delete an identity');
    return existed;
  }

  /** Stores a peer whose messages are accepted, and adds it to `peers`. */
  async addPeer(publicKey: PublicKeyInput, name?: string): Promise<PeerInfo> {
    const key = decodePublicKeyInput(publicKey, 'publicKey');
    // PeerDirectory checks the name, so a bad name is rejected before anything is stored.
    this.peers.addPeer(key, name);
    const info: PeerInfo = { publicKeyText: encodePublicKey(key), keyId: keyIdHex(key) };
    if (name !== undefined) info.name = name;
    await this.#write(PEERS, (store) => store.put(info), 'store a peer');
    return info;
  }

  /** Removes a peer from the database and from `peers`; returns whether it was stored. */
  async removePeer(publicKey: PublicKeyInput): Promise<boolean> {
    const text = encodePublicKey(decodePublicKeyInput(publicKey, 'publicKey'));
    const existed = (await this.listPeers()).some((peer) => peer.publicKeyText === text);
    await this.#write(PEERS, (store) => store.delete(text), 'remove a peer');
    this.peers.removePeer(text);
    return existed;
  }

  /** Lists stored peers. */
  async listPeers(): Promise<PeerInfo[]> {
    return this.#all<PeerInfo>(PEERS);
  }

  /** Closes the database connection. */
  close(): void {
    this.#db.close();
  }

  async #store(name: string, pair: KeyPair): Promise<KeyPair> {
    const record: IdentityRecord = {
      name,
      secretKey: pair.secretKey.slice(),
      publicKey: pair.publicKey.slice(),
      createdAt: Date.now(),
    };
    try {
      // add(), unlike put(), fails when the name exists, so a stored key is never overwritten.
      await this.#write(IDENTITIES, (store) => store.add(record), 'store an identity');
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof DOMException && cause.name === 'ConstraintError') {
        throw new KeyStoreError(
          'exists',
          `An identity named ${JSON.stringify(name)} is already stored; load it, or delete it first.`,
          { cause },
        );
      }
      throw error;
    }
    return pair;
  }

  async #read(name: string): Promise<IdentityRecord | undefined> {
    const transaction = this.#db.transaction(IDENTITIES, 'readonly');
    const request = transaction.objectStore(IDENTITIES).get(name) as IDBRequest<
      IdentityRecord | undefined
    >;
    return requestResult(request, 'read an identity');
  }

  async #all<T>(storeName: string): Promise<T[]> {
    const transaction = this.#db.transaction(storeName, 'readonly');
    const request = transaction.objectStore(storeName).getAll() as IDBRequest<T[]>;
    return requestResult(request, `read the ${storeName}`);
  }

  async #write(
    storeName: string,
    change: (store: IDBObjectStore) => IDBRequest,
    action: string,
  ): Promise<void> {
    const transaction = this.#db.transaction(storeName, 'readwrite');
    const done = transactionDone(transaction, action);
    const request = change(transaction.objectStore(storeName));
    // The request error also aborts the transaction; `done` reports it with its DOMException.
    request.onerror = () => undefined;
    await done;
  }
}

function checkName(name: unknown): string {
  if (typeof name !== 'string')
    throw new InvalidOptionError('name', 'an identity name string', name);
  if (name.length === 0 || name.length > MAX_IDENTITY_NAME_LENGTH) {
    throw new OptionRangeError(
      'name',
      `a name of 1 to ${MAX_IDENTITY_NAME_LENGTH} characters`,
      name,
    );
  }
  return name;
}
