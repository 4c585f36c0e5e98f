import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { reachable, realMosquittoUrl } from '@mqtt-e2ee/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { DEFAULT_FILE, parseDemoArgs } from '../src/options.js';
import { runDemo } from '../src/demo.js';
import { splitFileLines } from '../src/verify.js';

const mosquittoUp = await reachable(realMosquittoUrl);
if (!mosquittoUp && process.env['REQUIRE_MOSQUITTO'] === '1') {
  throw new Error(`REQUIRE_MOSQUITTO=1 but no broker accepts connections at ${realMosquittoUrl}`);
}
if (!mosquittoUp) console.warn(`skipping the demo against Mosquitto: no broker reachable at ${realMosquittoUrl}`);

/** Runs main() with captured output. */
async function runMain(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const status = await main(argv, { stdout, stderr });
  return { status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

describe('demo with the embedded broker', () => {
  it('reports PASS and exits 0', async () => {
    const { status, stdout, stderr } = await runMain([]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/embedded Aedes broker at mqtts:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/^  failures +0$/m);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('PASS');
  });

  it('delivers every line intact', async () => {
    const content = await readFile(DEFAULT_FILE);
    const lines = splitFileLines(content);
    expect(lines).toHaveLength(201);
    const report = await runDemo({ file: DEFAULT_FILE, qos: 1 });
    expect(report.failures).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.messagesSent).toBe(202);
    expect(report.messagesReceived).toBe(202);
    expect(report.lines.matched).toBe(201);
    expect(report.lines.mismatched).toEqual([]);
    expect(report.receivedFileSha256).toBe(report.fileSha256);
    expect(report.captured.onDemoTopics).toBe(202);
    expect(report.leaks.searched).toBe(201);
    expect(report.leaks.leaked).toEqual([]);
    expect(report.plaintextBytes).toBe(content.length * 2 - lines.length);
    // Header (60 bytes) and Poly1305 tag (16 bytes) per envelope, as the envelope format defines.
    expect(report.overheadPerMessage).toBe(76);
  });
});

describe('demo options', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-demo-test-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('streams another file with --file', async () => {
    const path = join(dir, 'short.txt');
    await writeFile(path, 'first line of the file\n\nok\nlast line without newline');
    const { status, stdout } = await runMain(['--', '--file', path, '--qos', '2']);
    expect(status).toBe(0);
    expect(stdout).toContain('4 lines');
    expect(stdout).toMatch(/2 lines under 8 bytes not searched/);
  });

  it('exits 1 when the broker refuses', async () => {
    const { status, stderr } = await runMain(['--broker', 'mqtt://127.0.0.1:1']);
    expect(status).toBe(1);
    expect(stderr).toMatch(/ECONNREFUSED/);
    expect(stderr.trimEnd().split('\n').at(-1)).toBe('FAIL');
  });

  it('exits 2 on usage errors', async () => {
    for (const argv of [['--bogus'], ['--broker', 'http://x'], ['--qos', '3'], ['--cafile', 'ca.pem']]) {
      const { status, stderr } = await runMain(argv);
      expect(status, argv.join(' ')).toBe(2);
      expect(stderr).toMatch(/^mqtt-e2ee demo: /);
    }
  });

  it('resolves --file against INIT_CWD', async () => {
    await writeFile(join(dir, 'relative.txt'), 'one line\n');
    const saved = process.env['INIT_CWD'];
    process.env['INIT_CWD'] = dir;
    try {
      const parsed = parseDemoArgs(['--file', 'relative.txt']);
      expect(parsed.help ? undefined : parsed.options.file).toBe(join(dir, 'relative.txt'));
    } finally {
      if (saved === undefined) delete process.env['INIT_CWD'];
      else process.env['INIT_CWD'] = saved;
    }
  });

  it('resolves --file against cwd otherwise', async () => {
    const saved = process.env['INIT_CWD'];
    delete process.env['INIT_CWD'];
    try {
      const parsed = parseDemoArgs(['--file', 'package.json']);
      expect(parsed.help ? undefined : parsed.options.file).toBe(join(process.cwd(), 'package.json'));
    } finally {
      if (saved !== undefined) process.env['INIT_CWD'] = saved;
    }
  });

  it('names flag and path of a missing file', async () => {
    const saved = process.env['INIT_CWD'];
    process.env['INIT_CWD'] = dir;
    try {
      const { status, stderr } = await runMain(['--file', 'missing.csv']);
      expect(status).toBe(2);
      expect(stderr).toContain('--file');
      expect(stderr).toContain(join(dir, 'missing.csv'));
      expect(stderr).toMatch(/file not found/);
    } finally {
      if (saved === undefined) delete process.env['INIT_CWD'];
      else process.env['INIT_CWD'] = saved;
    }
  });

  it('prints help', async () => {
    const { status, stdout } = await runMain(['--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('--broker URL');
    expect(stdout).toContain('Usage: npm run demo');
    expect(stdout).toContain('pnpm demo');
    expect(parseDemoArgs(['--', '--broker', 'mqtt://127.0.0.1:1883'])).toEqual({
      help: false,
      options: { broker: 'mqtt://127.0.0.1:1883', file: DEFAULT_FILE, qos: 1 },
    });
  });
});

describe.skipIf(!mosquittoUp)('demo against Mosquitto', () => {
  it('passes with --broker', async () => {
    const { status, stdout } = await runMain(['--broker', realMosquittoUrl]);
    expect(status).toBe(0);
    expect(stdout).toContain(`existing broker at ${realMosquittoUrl}`);
    expect(stdout).toMatch(/^  messages received +202, 201 lines identical, file SHA-256 identical$/m);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('PASS');
  });
});
