/** Promise wrappers over IndexedDB requests and transactions. */
import { KeyStoreError } from './errors.js';

/** Resolves with the result of an IndexedDB request, or rejects with KeyStoreError. */
export function requestResult<T>(request: IDBRequest<T>, action: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(failure(action, request.error));
  });
}

/** Resolves once a transaction commits; rejects with KeyStoreError when it aborts. */
export function transactionDone(transaction: IDBTransaction, action: string): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    // A failed request reaches the transaction's error handler before the transaction aborts, and
    // only the request carries the DOMException then. The first rejection wins.
    transaction.onerror = (event) => {
      const request = event.target as IDBRequest | null;
      reject(failure(action, request?.error ?? transaction.error));
    };
    transaction.onabort = () => reject(failure(action, transaction.error));
  });
}

/**
 * Opens a database and creates its object stores on first use. `stores` maps store names to
 * their key paths; version 1 creates them all.
 */
export function openDatabase(
  factory: IDBFactory,
  name: string,
  stores: Readonly<Record<string, string>>,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, 1);
    request.onupgradeneeded = () => {
      for (const [store, keyPath] of Object.entries(stores)) {
        if (!request.result.objectStoreNames.contains(store)) {
          request.result.createObjectStore(store, { keyPath });
        }
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () =>
      reject(failure(`open the IndexedDB database ${JSON.stringify(name)}`, request.error));
    request.onblocked = () =>
      reject(
        new KeyStoreError(
          'unavailable',
          `Opening the IndexedDB database ${JSON.stringify(name)} is blocked by another tab with an older version open; close that tab and retry.`,
        ),
      );
  });
}

function failure(action: string, error: DOMException | null): KeyStoreError {
  const detail = error === null ? 'unknown error' : `${error.name}: ${error.message}`;
  return new KeyStoreError('failed', `Failed to ${action} (${detail}).`, { cause: error });
}
