import { checkBytes, equalBytes } from './bytes.js';
import type { KeyPair } from './dhkem.js';
import { InvalidKeyError } from './errors.js';
import { X25519_KEY_LENGTH, type CryptoProvider } from './provider.js';

/** Checks that `pair` is a well-formed key pair whose public key belongs to its secret key, and returns copies. */
export function checkKeyPair(pair: unknown, field: string, provider: CryptoProvider): KeyPair {
  if (typeof pair !== 'object' || pair === null) {
    throw new TypeError(`${field} must be a key pair { secretKey, publicKey }, got ${pair === null ? 'null' : typeof pair}`);
  }
  const candidate = pair as Partial<KeyPair>;
  const secretKey = checkBytes(candidate.secretKey, `${field}.secretKey`, X25519_KEY_LENGTH);
  const publicKey = checkBytes(candidate.publicKey, `${field}.publicKey`, X25519_KEY_LENGTH);
  if (!equalBytes(provider.x25519PublicKey(secretKey), publicKey)) {
    throw new InvalidKeyError(
      `${field}.publicKey does not belong to ${field}.secretKey: rebuild the pair with keyPairFromSecretKey.`,
    );
  }
  return { secretKey: secretKey.slice(), publicKey: publicKey.slice() };
}

/** Map with a size limit that evicts the least recently used entry. */
export class LruMap<K, V> {
  readonly #max: number;
  readonly #onEvict: ((key: K, value: V) => void) | undefined;
  readonly #map = new Map<K, V>();
  /** Key of the last entry in iteration order, for which get() skips the reinsert. */
  #newest: K | undefined;

  /** `onEvict` is called for each entry that set() drops because of the size limit. */
  constructor(max: number, onEvict?: (key: K, value: V) => void) {
    this.#max = max;
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined && key !== this.#newest) {
      // Reinsert so that Map iteration order puts the most recently used entry last.
      this.#map.delete(key);
      this.#map.set(key, value);
      this.#newest = key;
    }
    return value;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#newest = key;
    while (this.#map.size > this.#max) {
      const oldest = this.#map.entries().next();
      if (oldest.done === true) break;
      const [oldestKey, oldestValue] = oldest.value;
      this.#map.delete(oldestKey);
      this.#onEvict?.(oldestKey, oldestValue);
    }
  }

  delete(key: K): boolean {
    if (key === this.#newest) this.#newest = undefined;
    return this.#map.delete(key);
  }

  keys(): IterableIterator<K> {
    return this.#map.keys();
  }

  entries(): IterableIterator<[K, V]> {
    return this.#map.entries();
  }

  clear(): void {
    this.#map.clear();
    this.#newest = undefined;
  }
}
