/** Sender filters of the active subscriptions, for the `from` option of subscribe. */
import { bytesEqual } from './bytes.js';
import { topicMatchesFilter } from './topic.js';

/** Allowed senders of one subscription: public keys grouped by key id (16 hex characters). */
export type SenderFilter = ReadonlyMap<string, readonly Uint8Array[]>;

/** Senders allowed on a topic: 'any-peer', or only the listed keys. */
export type AllowedSenders = 'any-peer' | SenderFilter;

/** Topics whose allowed senders a registry remembers before it starts over. */
const ALLOWED_CACHE_LIMIT = 1024;

export class SubscriptionRegistry {
  readonly #filters = new Map<string, SenderFilter | 'any-peer'>();
  /** allowedSenders results by topic, cleared on every change of the filters. */
  readonly #allowed = new Map<string, AllowedSenders>();

  /** Records subscriptions and returns a function that restores the previous state. */
  add(topicFilters: readonly string[], senders: SenderFilter | 'any-peer'): () => void {
    const previous = topicFilters.map((filter) => [filter, this.#filters.get(filter)] as const);
    for (const filter of topicFilters) this.#filters.set(filter, senders);
    this.#allowed.clear();
    return () => {
      for (const [filter, old] of previous) {
        if (old === undefined) this.#filters.delete(filter);
        else this.#filters.set(filter, old);
      }
      this.#allowed.clear();
    };
  }

  remove(topicFilters: readonly string[]): void {
    for (const filter of topicFilters) this.#filters.delete(filter);
    this.#allowed.clear();
  }

  /**
   * Returns the senders allowed on `topic`. A matching subscription without `from` allows every
   * peer; otherwise the `from` lists of all matching subscriptions are merged. A topic that matches
   * no recorded subscription (one the session kept from an earlier connection, for example) allows
   * every peer.
   */
  allowedSenders(topic: string): AllowedSenders {
    const known = this.#allowed.get(topic);
    if (known !== undefined) return known;
    const allowed = this.#matchSenders(topic);
    if (this.#allowed.size >= ALLOWED_CACHE_LIMIT) this.#allowed.clear();
    this.#allowed.set(topic, allowed);
    return allowed;
  }

  #matchSenders(topic: string): AllowedSenders {
    let merged: Map<string, Uint8Array[]> | undefined;
    for (const [filter, senders] of this.#filters) {
      if (!topicMatchesFilter(filter, topic)) continue;
      if (senders === 'any-peer') return 'any-peer';
      merged ??= new Map();
      for (const [keyId, keys] of senders) {
        merged.set(keyId, [...(merged.get(keyId) ?? []), ...keys]);
      }
    }
    return merged ?? 'any-peer';
  }
}

/** Returns true when `publicKey` is one of the keys listed under its key id. */
export function filterAllows(filter: SenderFilter, keyId: string, publicKey: Uint8Array): boolean {
  const keys = filter.get(keyId);
  return keys !== undefined && keys.some((key) => bytesEqual(key, publicKey));
}

