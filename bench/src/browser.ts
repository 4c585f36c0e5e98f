/**
 * EnvelopeOpener.open in headless Chromium. Node seals the envelopes, and the page opens them with
 * the noble provider from an in-memory esbuild bundle of @mqtt-e2ee/envelope. The same provider's
 * aeadOpen on the same payload size gives the baseline.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvelopeSealer, generateKeyPair, nobleProvider } from '@mqtt-e2ee/envelope';
import { CRYPTO_TOPIC } from './crypto.js';
import { openInPage, type PageRun } from './browser-page.js';

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

/** Plaintext bytes per set of envelopes, so that 64 KiB payloads do not hold hundreds of MB. */
const SET_BYTES = 4 * 1024 * 1024;

export interface BrowserRow {
  size_bytes: number;
  envelopes: number;
  rounds: number;
  open_ops_per_s: number;
  open_mb_per_s: number;
  aead_open_ops_per_s: number;
  /** EnvelopeOpener.open time / provider aeadOpen time, both in the page. */
  open_vs_aead: number;
}

export type BrowserResult =
  | { status: 'measured'; browser: string; provider: string; note: string; rows: BrowserRow[] }
  | { status: 'not measured'; note: string; rows: [] };

export interface BrowserOptions {
  sizes: number[];
  rounds: number;
  log: (line: string) => void;
}

function envelopeCount(size: number): number {
  return Math.max(64, Math.min(1024, Math.floor(SET_BYTES / size)));
}

/** Bundles the envelope package for the browser, in memory. */
async function bundleEnvelope(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    stdin: {
      contents: "export { EnvelopeOpener, nobleProvider } from '@mqtt-e2ee/envelope';",
      resolveDir: dirname(fileURLToPath(import.meta.url)),
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild returned no output for the envelope bundle');
  return output.text;
}

/** Serves the page and the bundle on 127.0.0.1 at a free port. */
async function serve(bundle: string): Promise<{ server: Server; url: string }> {
  const page = '<!doctype html><meta charset="utf-8"><title>bench</title>' +
    '<script type="module">import * as envelope from "/envelope.js"; window.envelope = envelope; window.benchReady = true;</script>';
  const server = createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (request.url === '/envelope.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/` };
}

/** Seals one set of envelopes of one session from a fresh sender to a fresh recipient. */
function sealSet(size: number): PageRun {
  const provider = nobleProvider;
  const sender = generateKeyPair(provider);
  const recipient = generateKeyPair(provider);
  const sealer = new EnvelopeSealer({ identity: sender, provider });
  const message = provider.randomBytes(size);
  const envelopes = Array.from({ length: envelopeCount(size) }, () =>
    Buffer.from(sealer.seal(CRYPTO_TOPIC, message, recipient.publicKey)).toString('base64'),
  );
  return {
    topic: CRYPTO_TOPIC,
    envelopes,
    recipientSecret: Buffer.from(recipient.secretKey).toString('base64'),
    recipientPublic: Buffer.from(recipient.publicKey).toString('base64'),
    senderPublic: Buffer.from(sender.publicKey).toString('base64'),
    size,
    rounds: 0,
  };
}

/** Measures every size in one Chromium page, or returns the reason it cannot. */
export async function measureBrowser(options: BrowserOptions): Promise<BrowserResult> {
  if (!existsSync(CHROMIUM_PATH)) {
    return { status: 'not measured', note: `no Chromium at ${CHROMIUM_PATH}`, rows: [] };
  }
  const { chromium } = await import('playwright-core');
  const { server, url } = await serve(await bundleEnvelope());
  const userDataDir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-bench-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    try {
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForFunction(() => (globalThis as { benchReady?: boolean }).benchReady === true);
      const version = context.browser()?.version() ?? 'unknown version';
      const rows: BrowserRow[] = [];
      for (const size of options.sizes) {
        const run = { ...sealSet(size), rounds: options.rounds };
        const timing = await page.evaluate(openInPage, run);
        const row: BrowserRow = {
          size_bytes: size,
          envelopes: run.envelopes.length,
          rounds: options.rounds,
          open_ops_per_s: timing.openOpsPerS,
          open_mb_per_s: (timing.openOpsPerS * size) / 1e6,
          aead_open_ops_per_s: timing.aeadOpsPerS,
          open_vs_aead: timing.aeadOpsPerS / timing.openOpsPerS,
        };
        options.log(`  Chromium ${size} bytes: open ${row.open_ops_per_s.toFixed(0)} ops/s, ratio ${row.open_vs_aead.toFixed(3)}x`);
        rows.push(row);
      }
      return {
        status: 'measured',
        browser: `Chromium ${version}`,
        provider: nobleProvider.name,
        note: 'envelopes sealed in Node, opened in the page; medians over rounds',
        rows,
      };
    } finally {
      await context.close();
    }
  } finally {
    server.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}
