/**
 * Exclusive Web Locks on the state databases that connectE2ee writes, so that one client at a
 * time in the whole origin (every tab and worker) owns each replay or key exchange database.
 */
import { KeyStoreError, StateInUseError } from './errors.js';

/** Kind of state database, part of the lock name. */
export type StateDatabaseKind = 'replay' | 'kx';

/** A held lock. release() is idempotent. */
export interface StateLock {
  readonly name: string;
  release(): void;
}

/** Returns the Web Lock name of a state database, such as 'mqtt-e2ee:replay:mqtt-e2ee-replay'. */
export function stateLockName(kind: StateDatabaseKind, databaseName: string): string {
  return `mqtt-e2ee:${kind}:${databaseName}`;
}

/**
 * Takes the exclusive Web Lock of a state database without waiting. Rejects with StateInUseError
 * when another client has it. Returns undefined when the page has no navigator.locks, and then
 * nothing stops two clients from sharing the database. The browser releases the lock by itself
 * when the page unloads.
 */
export function lockStateDatabase(
  kind: StateDatabaseKind,
  databaseName: string,
  option: string,
): Promise<StateLock | undefined> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks === undefined) return Promise.resolve(undefined);
  const name = stateLockName(kind, databaseName);
  return new Promise((resolve, reject) => {
    let release!: () => void;
    // The lock stays held until this promise settles.
    const held = new Promise<void>((onRelease) => {
      release = onRelease;
    });
    const request = locks.request(name, { mode: 'exclusive', ifAvailable: true }, (lock) => {
      if (lock === null) {
        reject(new StateInUseError(option, databaseName, name));
        return undefined;
      }
      resolve({ name, release });
      return held;
    });
    request.catch((error: unknown) => {
      // Only a request that never ran its callback rejects here, for example in an opaque origin.
      reject(
        new KeyStoreError('unavailable', `Failed to request the Web Lock ${JSON.stringify(name)} for ${option}; connect from a page with a regular origin.`, { cause: error }),
      );
    });
  });
}

/** Closes a state database, then releases its lock, also when closing fails. */
export async function closeAndRelease(
  store: { close(): Promise<void> } | undefined,
  lock: StateLock | undefined,
): Promise<void> {
  try {
    await store?.close();
  } finally {
    lock?.release();
  }
}
