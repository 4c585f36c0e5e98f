/**
 * IndexedDbReplayStore on fake-indexeddb in Node.js. The Chromium page test checks the same store
 * across a real page reload.
 */
import type { ReplaySnapshot } from '@mqtt-e2ee/envelope';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { IndexedDbReplayStore } from '../src/replay-store.js';
import { KeyStoreError } from '../src/errors.js';

function snapshot(top: bigint, firstByte: number): ReplaySnapshot {
  const bitmap = new Uint8Array(128);
  bitmap[0] = firstByte;
  return { top, size: 1024, bitmap };
}

async function reopen(factory: IDBFactory, maxSessions?: number): Promise<IndexedDbReplayStore> {
  return IndexedDbReplayStore.open({
    indexedDB: factory,
    databaseName: 'replay-test',
    ...(maxSessions === undefined ? {} : { maxSessions }),
  });
}

describe('IndexedDbReplayStore', () => {
  it('saved windows survive reopening', async () => {
    const factory = new IDBFactory();
    const first = await reopen(factory);
    first.save('a', snapshot(5n, 0b0010_0001));
    first.save('b', snapshot(-1n, 0));
    await first.flush();
    await first.close();
    const second = await reopen(factory);
    expect(second.size).toBe(2);
    const loaded = second.load('a');
    expect(loaded?.top).toBe(5n);
    expect(loaded?.size).toBe(1024);
    expect(loaded?.bitmap[0]).toBe(0b0010_0001);
    expect(second.load('b')?.top).toBe(-1n);
    expect(second.load('missing')).toBeUndefined();
    await second.close();
  });

  it('load sees a save at once', async () => {
    const store = await reopen(new IDBFactory());
    store.save('a', snapshot(7n, 1));
    expect(store.load('a')?.top).toBe(7n);
    // The returned snapshot is a copy, so changing it does not change the store.
    const copy = store.load('a');
    copy?.bitmap.fill(0xff);
    expect(store.load('a')?.bitmap[1]).toBe(0);
    await store.close();
  });

  it('flush covers saves of this task', async () => {
    const factory = new IDBFactory();
    const writer = await reopen(factory);
    writer.save('a', snapshot(1n, 1));
    writer.save('a', snapshot(2n, 3));
    await writer.flush();
    // A second connection reads what the first one committed.
    const reader = await reopen(factory);
    expect(reader.load('a')?.top).toBe(2n);
    await Promise.all([writer.close(), reader.close()]);
  });

  it('failed write rejects flush', async () => {
    const factory = new IDBFactory();
    let failWrites = false;
    // Wraps the factory so that read-write transactions of the opened database fail on demand.
    const failing = {
      open: (name: string, version?: number) => {
        const request = factory.open(name, version);
        request.addEventListener('success', () => {
          const db = request.result;
          const original = db.transaction.bind(db);
          db.transaction = ((names: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions) => {
            if (mode === 'readwrite' && failWrites) throw new DOMException('writes disabled', 'InvalidStateError');
            return original(names, mode, options);
          }) as IDBDatabase['transaction'];
        });
        return request;
      },
    } as unknown as IDBFactory;

    const store = await IndexedDbReplayStore.open({ indexedDB: failing, databaseName: 'failing' });
    store.save('a', snapshot(1n, 1));
    await store.flush();
    failWrites = true;
    store.save('a', snapshot(2n, 1));
    const error = await store.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyStoreError);
    expect((error as KeyStoreError).cause).toBeInstanceOf(DOMException);

    failWrites = false;
    // The next save writes the whole window again, and its flush succeeds.
    store.save('a', snapshot(3n, 1));
    await store.flush();
    await store.close();
    const reread = await IndexedDbReplayStore.open({ indexedDB: factory, databaseName: 'failing' });
    expect(reread.load('a')?.top).toBe(3n);
    await reread.close();
  });

  it('least recently saved session dropped', async () => {
    const factory = new IDBFactory();
    const store = await reopen(factory, 2);
    store.save('a', snapshot(1n, 1));
    store.save('b', snapshot(1n, 1));
    store.save('a', snapshot(2n, 1));
    store.save('c', snapshot(1n, 1));
    expect(store.load('b')).toBeUndefined();
    await store.close();
    const reopened = await reopen(factory, 2);
    expect(reopened.load('b')).toBeUndefined();
    expect(reopened.load('a')?.top).toBe(2n);
    expect(reopened.load('c')?.top).toBe(1n);
    // The save order survives the reload: 'a' is now the least recently saved.
    reopened.save('d', snapshot(1n, 1));
    expect(reopened.load('a')).toBeUndefined();
    expect(reopened.load('c')).toBeDefined();
    await reopened.close();
  });

  it('invalid record rejected on open', async () => {
    const factory = new IDBFactory();
    const store = await reopen(factory);
    await store.close();
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open('replay-test', 1);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    await new Promise<void>((resolve, reject) => {
      const transaction = db.transaction('sessions', 'readwrite');
      transaction.objectStore('sessions').put({ key: 'bad', top: 'twelve', size: 8, bitmap: new Uint8Array(1), order: 0 });
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
    });
    db.close();
    const error = await reopen(factory).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyStoreError);
    expect((error as KeyStoreError).message).toContain('invalid record');
  });

  it('save after close raises', async () => {
    const store = await reopen(new IDBFactory());
    await store.close();
    expect(() => store.save('a', snapshot(1n, 1))).toThrow(/closed/);
  });

  it('missing IndexedDB reported', async () => {
    const error = await IndexedDbReplayStore.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyStoreError);
    expect((error as KeyStoreError).reason).toBe('unavailable');
  });
});
