/**
 * Replay windows kept in the page's IndexedDB, so that a reloaded page does not accept copies of
 * messages it delivered before (spec/envelope-v1.md section 11.4).
 */
import {
  DEFAULT_MAX_STORED_SESSIONS,
  type ReplaySnapshot,
  type ReplayStore,
} from '@mqtt-e2ee/envelope';
import { OptionRangeError } from '@mqtt-e2ee/node-client/core';
import { KeyStoreError } from './errors.js';
import { openDatabase, requestResult, transactionDone } from './idb.js';

/** Default IndexedDB database name of the replay state. */
export const DEFAULT_REPLAY_DATABASE_NAME = 'mqtt-e2ee-replay';

const SESSIONS = 'sessions';

/** Options of IndexedDbReplayStore.open. */
export interface IndexedDbReplayStoreOptions {
  /** Database name. Default 'mqtt-e2ee-replay'. */
  databaseName?: string;
  /** IndexedDB factory. Default: the page's indexedDB. */
  indexedDB?: IDBFactory;
  /** Sessions kept. Beyond it the least recently saved session is dropped. Default 100000. */
  maxSessions?: number;
}

/** One stored session window. */
interface SessionRecord {
  key: string;
  /** Highest accepted sequence number as a decimal string, or '-1'. */
  top: string;
  size: number;
  bitmap: Uint8Array;
  /** Save counter, which restores the least-recently-saved order on load. */
  order: number;
}

/** Saves collected in one task and written in one transaction. */
interface Batch {
  puts: Map<string, SessionRecord>;
  deletes: Set<string>;
  done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * ReplayStore over IndexedDB. `load` and `save` work on an in-memory copy that `open` reads in
 * full, because the envelope layer calls them synchronously. A save is durable only once the
 * transaction that writes it commits, and `flush()` resolves at that point. The client core waits for `flush`
 * before it delivers a message, so a message is never delivered before its replay state is
 * stored. Saves made in the same task share one transaction with durability 'strict'.
 *
 * NOTE: each instance keeps its own copy, and the later save of a session replaces the earlier
 * one. connectE2ee therefore holds a Web Lock on the database, but a store opened directly with
 * open() takes no lock, so its caller keeps it to one instance per database.
 */
export class IndexedDbReplayStore implements ReplayStore {
  readonly databaseName: string;
  readonly #db: IDBDatabase;
  readonly #maxSessions: number;
  /** Sessions in least-recently-saved order, oldest first. */
  readonly #sessions = new Map<string, SessionRecord>();
  #order = 0;
  #batch: Batch | undefined;
  /** The last committed or running write, so that flush() without pending saves reports it. */
  #lastWrite: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(db: IDBDatabase, databaseName: string, maxSessions: number) {
    this.#db = db;
    this.databaseName = databaseName;
    this.#maxSessions = maxSessions;
  }

  /** Opens (and on first use creates) the database and reads every stored session. */
  static async open(options: IndexedDbReplayStoreOptions = {}): Promise<IndexedDbReplayStore> {
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (factory === undefined) {
      throw new KeyStoreError(
        'unavailable',
        'IndexedDB is not available in this page (private browsing in some browsers disables it); connect without replayStateDatabase to keep replay state in memory.',
      );
    }
    const name = options.databaseName ?? DEFAULT_REPLAY_DATABASE_NAME;
    const maxSessions = options.maxSessions ?? DEFAULT_MAX_STORED_SESSIONS;
    if (!Number.isSafeInteger(maxSessions) || maxSessions < 1) {
      throw new OptionRangeError('maxSessions', 'a positive integer', maxSessions);
    }
    const db = await openDatabase(factory, name, { [SESSIONS]: 'key' });
    const store = new IndexedDbReplayStore(db, name, maxSessions);
    try {
      await store.#readAll();
    } catch (error) {
      db.close();
      throw error;
    }
    return store;
  }

  /** Number of sessions stored. */
  get size(): number {
    return this.#sessions.size;
  }

  load(sessionKey: string): ReplaySnapshot | undefined {
    const record = this.#sessions.get(sessionKey);
    if (record === undefined) return undefined;
    return { top: BigInt(record.top), size: record.size, bitmap: record.bitmap.slice() };
  }

  /**
   * Saves the snapshot in memory at once and in IndexedDB with the other saves of this task. The
   * write is durable when flush() resolves.
   */
  save(sessionKey: string, snapshot: ReplaySnapshot): void {
    if (this.#closed) throw new Error(`IndexedDbReplayStore ${this.databaseName} is closed: open it again with IndexedDbReplayStore.open`);
    if (typeof sessionKey !== 'string') throw new TypeError(`sessionKey must be a string, got ${typeof sessionKey}`);
    const record: SessionRecord = {
      key: sessionKey,
      top: snapshot.top.toString(),
      size: snapshot.size,
      bitmap: snapshot.bitmap.slice(),
      order: this.#order++,
    };
    const batch = this.#pendingBatch();
    this.#sessions.delete(sessionKey);
    this.#sessions.set(sessionKey, record);
    batch.puts.set(sessionKey, record);
    batch.deletes.delete(sessionKey);
    this.#evict(batch);
  }

  /** Resolves once every save made so far is committed; rejects when its write failed. */
  flush(): Promise<void> {
    return this.#batch?.done ?? this.#lastWrite;
  }

  /** Waits for pending writes and closes the database. Later saves raise an error. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.flush();
    } finally {
      this.#db.close();
    }
  }

  async #readAll(): Promise<void> {
    const transaction = this.#db.transaction(SESSIONS, 'readonly');
    const request = transaction.objectStore(SESSIONS).getAll() as IDBRequest<unknown[]>;
    const records = (await requestResult(request, 'read the replay state')).map((record) =>
      checkRecord(record, this.databaseName),
    );
    records.sort((a, b) => a.order - b.order);
    for (const record of records) this.#sessions.set(record.key, record);
    this.#order = (records.at(-1)?.order ?? -1) + 1;
    if (this.#sessions.size > this.#maxSessions) this.#evict(this.#pendingBatch());
  }

  /** Drops the least recently saved sessions beyond maxSessions, in memory and in the batch. */
  #evict(batch: Batch): void {
    for (const key of this.#sessions.keys()) {
      if (this.#sessions.size <= this.#maxSessions) break;
      this.#sessions.delete(key);
      batch.puts.delete(key);
      batch.deletes.add(key);
    }
  }

  /** Returns the batch of this task, creating it and scheduling its write on first use. */
  #pendingBatch(): Batch {
    if (this.#batch !== undefined) return this.#batch;
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    // Marks the promise as handled; callers of flush() still receive the rejection.
    done.catch(() => undefined);
    const batch: Batch = { puts: new Map(), deletes: new Set(), done, resolve, reject };
    this.#batch = batch;
    this.#lastWrite = done;
    queueMicrotask(() => this.#write(batch));
    return batch;
  }

  #write(batch: Batch): void {
    this.#batch = undefined;
    let transaction: IDBTransaction;
    try {
      transaction = this.#db.transaction(SESSIONS, 'readwrite', { durability: 'strict' });
    } catch (error) {
      batch.reject(new KeyStoreError('failed', `Failed to save the replay state in ${this.databaseName}.`, { cause: error }));
      return;
    }
    transactionDone(transaction, 'save the replay state').then(batch.resolve, batch.reject);
    try {
      const store = transaction.objectStore(SESSIONS);
      for (const key of batch.deletes) store.delete(key);
      for (const record of batch.puts.values()) store.put(record);
    } catch (error) {
      // The first settlement wins, so the abort that follows does not replace this error.
      batch.reject(new KeyStoreError('failed', `Failed to save the replay state in ${this.databaseName}.`, { cause: error }));
      transaction.abort();
    }
  }
}

function checkRecord(value: unknown, databaseName: string): SessionRecord {
  const record = value as Partial<SessionRecord> | null;
  const valid =
    typeof record?.key === 'string' &&
    typeof record.top === 'string' &&
    /^(-1|0|[1-9][0-9]*)$/.test(record.top) &&
    typeof record.size === 'number' &&
    record.bitmap instanceof Uint8Array &&
    typeof record.order === 'number';
  if (!valid) {
    throw new KeyStoreError(
      'failed',
      `The replay state database ${JSON.stringify(databaseName)} contains an invalid record; delete the database to start with empty replay state.`,
    );
  }
  return record as SessionRecord;
}
