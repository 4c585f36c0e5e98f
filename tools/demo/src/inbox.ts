import type { DecryptFailure, E2eeClient, E2eeMessage } from '@mqtt-e2ee/node-client';

/** Messages the recipient decrypted, grouped by topic, and the messages it rejected. */
export class Inbox {
  readonly lines: Uint8Array[] = [];
  readonly files: Uint8Array[] = [];
  /** One entry per rejected message: error code and topic, never payload bytes. */
  readonly rejected: string[] = [];
  readonly #linesTopic: string;
  readonly #fileTopic: string;
  #waiters: (() => void)[] = [];

  constructor(client: E2eeClient, linesTopic: string, fileTopic: string) {
    this.#linesTopic = linesTopic;
    this.#fileTopic = fileTopic;
    client.on('message', (message) => this.#accept(message));
    client.on('decrypt-error', (error: DecryptFailure) => {
      this.rejected.push(`${error.code} on ${error.topic}`);
      this.#notify();
    });
  }

  /** Resolves true once `done()` holds, or false after `timeoutMs` milliseconds. */
  async waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  #accept(message: E2eeMessage): void {
    if (message.topic === this.#linesTopic) this.lines.push(message.payload);
    else if (message.topic === this.#fileTopic) this.files.push(message.payload);
    else this.rejected.push(`unexpected topic ${message.topic}`);
    this.#notify();
  }

  #notify(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}
