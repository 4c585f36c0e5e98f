import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, CHROMIUM_PATH } from './support/browser.js';
import { chromium, type BrowserContext } from 'playwright-core';

const skipReason = browserSkipReason();
const run = skipReason === undefined ? describe : describe.skip;
const serveScript = fileURLToPath(new URL('../demo/serve.mjs', import.meta.url));

/** Starts the demo and resolves with the page URL it prints. */
function startDemo(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [serveScript], {
      env: { ...process.env, DEMO_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`the demo printed no URL within 20 s: ${output}`)),
      20_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /open (http:\/\/127\.0\.0\.1:\d+\/demo\/)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the demo exited with ${code}: ${output}`)));
  });
}

run(skipReason === undefined ? 'demo page' : `skipped: ${skipReason}`, () => {
  let demo: { child: ChildProcess; url: string };
  let context: BrowserContext;

  beforeAll(async () => {
    demo = await startDemo();
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext();
  });

  afterAll(async () => {
    await context?.browser()?.close();
    if (demo?.child.exitCode === null) {
      const exited = new Promise((resolve) => demo.child.once('exit', resolve));
      demo.child.kill('SIGTERM');
      await exited;
    }
  });

  it('echo round trip, ciphertext view', async () => {
    const page = await context.newPage();
    await page.goto(demo.url);
    await page.fill('#identity-name', 'demo-test');
    await page.click('#identity-form button');
    await page.waitForFunction(() =>
      document.getElementById('public-key')?.textContent?.startsWith('mqe2e-pk1-'),
    );
    await page.click('#connect');
    await page.waitForFunction(() =>
      document.getElementById('status')?.textContent?.startsWith('connected'),
    );
    const text = 'demo secret 4e1f';
    await page.fill('#text', text);
    await page.click('#send-form button');
    const echo = page.locator('#inbox li', { hasText: `echo from the Node.js peer: ${text}` });
    await echo.waitFor({ timeout: 15_000 });
    // Two publishes, the page's and the echo, are on the broker view; neither shows the text.
    await page.waitForFunction(() => document.querySelectorAll('#broker-view li').length >= 2);
    const brokerView = await page.locator('#broker-view').innerText();
    expect(brokerView).toContain('demo/chat');
    expect(brokerView).not.toContain(text);
    expect(brokerView).not.toContain(Buffer.from(text).toString('hex'));
    // Envelopes start with version 01, suite 01, type 01.
    expect(brokerView).toMatch(/\n010101/);
  });
});
