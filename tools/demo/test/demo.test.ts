import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { reachable, realMosquittoUrl, startAedes, type RunningAedes } from '@mqtt-e2ee/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { DEFAULT_FILE, parseDemoArgs } from '../src/options.js';
import { runDemo } from '../src/demo.js';
import { splitFileLines } from '../src/verify.js';

/** The built demo; the signal tests run it as a child process, as `npm run demo` does. */
const DEMO_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

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
    expect(stderr).toContain('Connecting to mqtt://127.0.0.1:1 failed');
    expect(stderr).toContain('Check that the broker is running and listens on that host and port.');
    expect(stderr.trimEnd().split('\n').at(-1)).toBe('FAIL');
  });

  it('hides credentials in connect errors', async () => {
    const { status, stderr } = await runMain(['--broker', 'mqtt://user:hunter2@127.0.0.1:1']);
    expect(status).toBe(1);
    expect(stderr).toContain('Connecting to mqtt://127.0.0.1:1 failed');
    expect(stderr).not.toContain('hunter2');
  });

  it('names a missing --cafile', async () => {
    const path = join(dir, 'missing-ca.pem');
    const { status, stdout, stderr } = await runMain(['--broker', 'mqtts://127.0.0.1:1', '--cafile', path]);
    expect(status).toBe(2);
    expect(stderr).toBe(`mqtt-e2ee demo: invalid value for --cafile: file not found at ${path}; check the path\n`);
    expect(stdout).toBe('');
  });

  it('names --cafile without --broker', async () => {
    const { status, stdout, stderr } = await runMain(['--cafile', '/tmp/ca.pem']);
    expect(status).toBe(2);
    expect(stderr).toBe(
      'mqtt-e2ee demo: --cafile /tmp/ca.pem is used only with --broker, because the embedded broker brings its own CA: add --broker URL or drop --cafile\n',
    );
    expect(stdout).toBe('');
  });

  it('resolves --cafile against INIT_CWD', async () => {
    await writeFile(join(dir, 'ca.pem'), 'not checked before connecting\n');
    const saved = process.env['INIT_CWD'];
    process.env['INIT_CWD'] = dir;
    try {
      const parsed = parseDemoArgs(['--broker', 'mqtts://127.0.0.1:8883', '--cafile', 'ca.pem']);
      expect(parsed.help ? undefined : parsed.options.cafile).toBe(join(dir, 'ca.pem'));
    } finally {
      if (saved === undefined) delete process.env['INIT_CWD'];
      else process.env['INIT_CWD'] = saved;
    }
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

describe('demo with TLS to a plaintext listener', () => {
  let broker: RunningAedes;

  beforeAll(async () => {
    broker = await startAedes({ websockets: true });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  // Scheme, the URL of the plaintext listener with that scheme, and the text the hint must contain.
  const cases: [string, () => string, string][] = [
    ['mqtts', () => `mqtts://127.0.0.1:${broker.port}`, '(1883 is the usual plaintext MQTT port, 8883 the usual TLS port). Use mqtt:// for that port'],
    ['wss', () => (broker.wsUrl ?? 'ws://missing').replace(/^ws:/, 'wss:'), 'does not speak TLS. Use ws:// for that port'],
  ];

  for (const [scheme, brokerUrl, hint] of cases) {
    it(`names the plaintext port for ${scheme}`, async () => {
      const url = brokerUrl();
      const { status, stderr } = await runMain(['--broker', url]);
      expect(status).toBe(1);
      expect(stderr).toContain(`Connecting to ${url} failed`);
      expect(stderr).toContain(`Port ${new URL(url).port} may be a plaintext listener`);
      expect(stderr).toContain(hint);
    });
  }
});

describe('demo interrupted by a signal', () => {
  let dir: string;
  let bigFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-demo-signal-'));
    // Enough lines that the demo is still running when the signal arrives.
    bigFile = join(dir, 'big.csv');
    const line = (index: number): string => `2025-03-14T06:00:00Z,sensor-${String(index).padStart(6, '0')},24.19,69.6\n`;
    await writeFile(bigFile, Array.from({ length: 50_000 }, (_, index) => line(index)).join(''));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`removes key files on ${signal}`, async () => {
      const child = spawn(process.execPath, [DEMO_MAIN, '--file', bigFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.once('close', (code, killedBy) => resolve({ code, signal: killedBy }));
      });
      try {
        const keyDir = await waitForKeyDir(() => stdout, 20_000);
        expect(existsSync(join(keyDir, 'sender.key'))).toBe(true);
        expect(existsSync(join(keyDir, 'recipient.key'))).toBe(true);
        child.kill(signal);
        const result = await exited;
        expect(result.signal).toBe(null);
        expect(result.code).toBe(status);
        expect(existsSync(keyDir)).toBe(false);
        expect(stderr).toContain(`mqtt-e2ee demo: stopped by ${signal}, temporary key files removed`);
        expect(stdout).not.toMatch(/^(PASS|FAIL)$/m);
      } finally {
        child.kill('SIGKILL');
      }
    });
  }
});

/** Waits until the demo output names its key directory and returns that path. */
async function waitForKeyDir(output: () => string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /key files in (\S+)$/m.exec(output());
    if (match?.[1] !== undefined) return match[1];
    if (Date.now() > deadline) throw new Error(`no key directory in the demo output after ${timeoutMs} ms: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!mosquittoUp)('demo against Mosquitto', () => {
  it('passes with --broker', async () => {
    const { status, stdout } = await runMain(['--broker', realMosquittoUrl]);
    expect(status).toBe(0);
    expect(stdout).toContain(`existing broker at ${realMosquittoUrl}`);
    expect(stdout).toMatch(/^  messages received +202, 201 lines identical, file SHA-256 identical$/m);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('PASS');
  });
});
