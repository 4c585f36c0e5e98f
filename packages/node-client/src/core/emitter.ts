/**
 * A small typed event emitter with the on/once/off/emit methods of Node's EventEmitter. The
 * client core uses it instead of node:events so that the same class runs in browsers.
 */

/** Event names mapped to their listener argument lists. */
export type EventMap<T> = { [K in keyof T]: unknown[] };

type Listener<A extends unknown[]> = (...args: A) => void;

/** A listener with its arguments erased, as stored in the registry. */
type StoredListener = (...args: unknown[]) => void;

interface Entry {
  listener: StoredListener;
  /** The function given to once(), so that off(event, original) removes the wrapper. */
  original: unknown;
}

export class TypedEmitter<Events extends EventMap<Events>> {
  readonly #listeners = new Map<keyof Events, Entry[]>();

  /** Adds a listener that runs on every emit of `event`. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    this.#add(event, { listener: listener as unknown as StoredListener, original: listener });
    return this;
  }

  /** Alias of on(), as in Node's EventEmitter. */
  addListener<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    return this.on(event, listener);
  }

  /** Adds a listener that is removed before its first call. */
  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const wrapper = (...args: Events[E]): void => {
      this.off(event, listener);
      listener(...args);
    };
    this.#add(event, { listener: wrapper as unknown as StoredListener, original: listener });
    return this;
  }

  /** Removes the most recently added registration of `listener` for `event`. */
  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const entries = this.#listeners.get(event);
    if (entries === undefined) return this;
    for (let i = entries.length - 1; i >= 0; i--) {
      if (entries[i]?.original === listener) {
        entries.splice(i, 1);
        break;
      }
    }
    if (entries.length === 0) this.#listeners.delete(event);
    return this;
  }

  /** Alias of off(), as in Node's EventEmitter. */
  removeListener<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    return this.off(event, listener);
  }

  /** Removes every listener of `event`, or of all events when `event` is omitted. */
  removeAllListeners(event?: keyof Events): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /**
   * Calls the listeners of `event` in the order they were added and returns whether there were
   * any. A listener that throws stops the remaining ones, as in Node's EventEmitter.
   */
  emit<E extends keyof Events>(event: E, ...args: Events[E]): boolean {
    const entries = this.#listeners.get(event);
    if (entries === undefined || entries.length === 0) return false;
    // A copy, so that listeners added or removed during this emit take effect from the next one.
    for (const entry of [...entries]) {
      entry.listener(...args);
    }
    return true;
  }

  #add(event: keyof Events, entry: Entry): void {
    const entries = this.#listeners.get(event);
    if (entries === undefined) this.#listeners.set(event, [entry]);
    else entries.push(entry);
  }
}
