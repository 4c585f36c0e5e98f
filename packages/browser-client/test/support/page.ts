/** Typed calls into the page-side harness (test/page/harness.js). */
import type { Page } from 'playwright-core';

/** A decrypted message as the page summarizes it. */
export interface PageMessage {
  topic: string;
  length: number;
  /** Hex of the payload, for payloads of at most 4096 bytes. */
  hex?: string;
  /** SHA-256 of the payload, absent when the page has no crypto.subtle. */
  sha256?: string;
  senderKeyId: string;
  retain: boolean;
  qos: number;
  seq: string;
}

export interface PageError {
  topic: string;
  code: string;
  name: string;
}

type HarnessWindow = { harness: Record<string, (...args: unknown[]) => unknown> };

/** Calls window.harness[method](...args) in the page and returns its result. */
export async function harness<T>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  const result = await page.evaluate(
    async ({ method: name, args: list }) => {
      const target = (window as unknown as HarnessWindow).harness[name];
      if (target === undefined) throw new Error(`harness has no method ${name}`);
      return target(...list);
    },
    { method, args },
  );
  return result as T;
}
