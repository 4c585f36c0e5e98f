/** Headless Chromium from the Debian package, driven by playwright-core, for the browser tests. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Returns why the browser tests cannot run, or undefined when they can. Without Chromium they are
 * skipped, except under CI, where a missing browser is a failure.
 */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    throw new Error(`CI is set but ${CHROMIUM_PATH} is missing; install Debian's chromium package`);
  }
  return `${CHROMIUM_PATH} is missing; install it with apt-get install chromium`;
}

export interface RunningBrowser {
  context: BrowserContext;
  /** Opens the test page and waits until the bundle and harness are loaded. */
  openPage(options?: { withoutSubtle?: boolean; withoutLocks?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh user data directory, so IndexedDB starts empty. */
export async function launchBrowser(baseUrl: string): Promise<RunningBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const pageErrors: string[] = [];
  return {
    context,
    openPage: async (options = {}) => {
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      if (options.withoutSubtle === true) await page.addInitScript(removeSubtle);
      if (options.withoutLocks === true) await page.addInitScript(removeLocks);
      await page.goto(`${baseUrl}/test/page/index.html`);
      await page.waitForFunction(() => (window as { e2eeReady?: boolean }).e2eeReady === true);
      return page;
    },
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs in the page before any of its scripts: removes crypto.subtle, as in a page served over
 * plain http from a host other than localhost. 127.0.0.1 is a secure context, so the tests have
 * to remove it themselves.
 */
function removeSubtle(): void {
  Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined, configurable: true });
}

/** Runs in the page before any of its scripts: removes navigator.locks, as in browsers without Web Locks. */
function removeLocks(): void {
  Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });
}
