/** A minimal typed event emitter without node: imports, so the main entry runs in browsers. */
type AnyListener = (...args: unknown[]) => void;

export class Listeners<Events extends Record<string, unknown[]>> {
  readonly #map = new Map<keyof Events, Set<AnyListener>>();

  /** Adds a listener and returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    const set = this.#map.get(event) ?? new Set<AnyListener>();
    set.add(listener as unknown as AnyListener);
    this.#map.set(event, set);
    return () => set.delete(listener as unknown as AnyListener);
  }

  /** Calls every listener of `event` in the order they were added. */
  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const listener of this.#map.get(event) ?? []) listener(...args);
  }
}
