/**
 * Storage of replay windows beyond the opener's session cache, so that a session dropped from the
 * cache, or a receiver that restarts, does not accept old messages again (spec/envelope-v1.md,
 * "Replay state across restarts").
 */
import { checkInteger } from './bytes.js';
import { LruMap } from './identity.js';
import type { ReplaySnapshot } from './replay.js';

/**
 * Persistent replay state, one snapshot per session. The opener calls `save` after a message
 * authenticated and before it returns the plaintext. So `save` must make the snapshot durable
 * before it returns, because a snapshot lost after delivery would let a copy of that message
 * through after a restart.
 */
export interface ReplayStore {
  /** Returns the last saved snapshot of the session, or undefined for a session never saved. */
  load(sessionKey: string): ReplaySnapshot | undefined;
  /** Saves the snapshot of the session durably, replacing the previous one. */
  save(sessionKey: string, snapshot: ReplaySnapshot): void;
}

/** Default number of sessions a replay store keeps before it drops the least recently saved one. */
export const DEFAULT_MAX_STORED_SESSIONS = 100_000;

/** Options of MemoryReplayStore. */
export interface MemoryReplayStoreOptions {
  /** Sessions kept. Beyond it the least recently saved session is dropped. Default 100000. */
  maxSessions?: number;
}

/**
 * Replay store in memory, the default of EnvelopeOpener. It outlives the opener's session cache
 * but not the process.
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #sessions: LruMap<string, ReplaySnapshot>;

  constructor(options: MemoryReplayStoreOptions = {}) {
    const max = options.maxSessions ?? DEFAULT_MAX_STORED_SESSIONS;
    this.#sessions = new LruMap(checkInteger(max, 'maxSessions', 1, Number.MAX_SAFE_INTEGER));
  }

  /** Number of sessions stored. */
  get size(): number {
    return this.#sessions.size;
  }

  load(sessionKey: string): ReplaySnapshot | undefined {
    const snapshot = this.#sessions.get(sessionKey);
    return snapshot === undefined ? undefined : { ...snapshot, bitmap: snapshot.bitmap.slice() };
  }

  save(sessionKey: string, snapshot: ReplaySnapshot): void {
    this.#sessions.set(sessionKey, { top: snapshot.top, size: snapshot.size, bitmap: snapshot.bitmap.slice() });
  }
}
