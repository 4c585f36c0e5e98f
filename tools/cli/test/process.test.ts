import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startAedes, writeTestPki, type RunningAedes, type TestPkiFiles } from '@mqtt-e2ee/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Children, type Child } from './helpers.js';

const children = new Children();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-cli-'));
  for (const name of ['alice', 'bob']) {
    const keygen = children.cli(['keygen', '-o', name], dir);
    expect(await keygen.exited).toBe(0);
  }
});

afterEach(() => children.killAll());

afterAll(async () => {
  children.killAll();
  await rm(dir, { recursive: true, force: true });
});

describe('exit status', () => {
  const cases: [string, string[], RegExp][] = [
    ['missing identity', ['pub', '--to', 'bob.pub', '-t', 't', '-m', 'x'], /^mqtt-e2ee pub: missing --identity: /],
    ['missing to', ['pub', '--identity', 'alice.key', '-t', 't', '-m', 'x'], /^mqtt-e2ee pub: missing --to: /],
    ['unknown flag', ['sub', '--identity', 'bob.key', '--from', 'alice.pub', '-t', 't', '--colour'], /unknown option '--colour'/],
    ['unknown command', ['publish'], /unknown command 'publish'/],
    ['missing key file', ['pub', '--identity', 'nobody.key', '--to', 'bob.pub', '-t', 't', '-m', 'x'], /cannot use --identity 'nobody\.key': file not found/],
    ['secret key as --to', ['pub', '--identity', 'alice.key', '--to', 'mqe2e-sk1-AAAA', '-t', 't', '-m', 'x'], /--to got a secret key/],
  ];

  for (const [name, args, pattern] of cases) {
    it(`exits 2 on ${name}`, async () => {
      const child = children.cli(args, dir);
      expect(await child.exited).toBe(2);
      expect(child.stderr).toMatch(pattern);
      expect(child.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(child.stdout.length).toBe(0);
    });
  }

  it('exits 0 with help', async () => {
    for (const command of ['pub', 'sub', 'keygen']) {
      const child = children.cli([command, '--help'], dir);
      expect(await child.exited).toBe(0);
      expect(child.stdout.toString()).toContain(`Usage: mqtt-e2ee ${command}`);
    }
  });

  it('exits 1 on refused connection', async () => {
    const port = await freePort();
    const child = children.cli(['pub', '-h', '127.0.0.1', '-p', String(port), '--identity', 'alice.key', '--to', 'bob.pub', '-t', 't', '-m', 'x'], dir);
    expect(await child.exited).toBe(1);
    expect(child.stderr).toMatch(/ECONNREFUSED.*\(ERR_CONNECT\)/);
  });
});

describe('TLS and WebSockets', () => {
  let broker: RunningAedes;
  let files: TestPkiFiles;

  beforeAll(async () => {
    broker = await startAedes({ tls: true, websockets: true });
    if (broker.pki === undefined) throw new Error('startAedes returned no PKI for a TLS broker');
    files = await writeTestPki(broker.pki, dir);
  });

  afterAll(async () => {
    await broker?.stop();
  });

  /** Runs `sub -C 1 -v` with `subArgs`, then `pub -m` with `pubArgs`, and returns the sub output. */
  async function roundTrip(subArgs: string[], pubArgs: string[]): Promise<Child> {
    const sub = children.cli(['sub', '--identity', 'bob.key', '--from', 'alice.pub', '-C', '1', '-v', '-d', ...subArgs], dir);
    await sub.waitFor('the subscription', (child) => child.stderr.includes('debug: subscribed to'));
    const pub = children.cli(['pub', '--identity', 'alice.key', '--to', 'bob.pub', '-m', 'over tls', ...pubArgs], dir);
    expect(await pub.exited).toBe(0);
    expect(await sub.exited).toBe(0);
    return sub;
  }

  it('connects with --cafile', async () => {
    const tls = ['-h', '127.0.0.1', '-p', String(broker.port), '--cafile', files.caFile];
    const sub = await roundTrip([...tls, '-t', 'tls/one'], [...tls, '-t', 'tls/one']);
    expect(sub.stdout.toString()).toBe('tls/one over tls\n');
    expect(sub.stderr).toContain(`connecting to mqtts://127.0.0.1:${broker.port}`);
  });

  it('connects with mqtts and wss URLs', async () => {
    const wsPort = new URL(broker.wsUrl ?? '').port;
    const sub = await roundTrip(
      ['-L', `mqtts://127.0.0.1:${broker.port}/tls/+`, '--cafile', files.caFile],
      ['-L', `wss://127.0.0.1:${wsPort}/tls/two`, '--cafile', files.caFile],
    );
    expect(sub.stdout.toString()).toBe('tls/two over tls\n');
  });

  it('fails without the CA', async () => {
    const child = children.cli(['pub', '-L', `mqtts://127.0.0.1:${broker.port}/t`, '--identity', 'alice.key', '--to', 'bob.pub', '-m', 'x'], dir);
    expect(await child.exited).toBe(1);
    expect(child.stderr).toMatch(/ERR_CONNECT/);
  });

  it('connects with --insecure', async () => {
    const args = ['-h', '127.0.0.1', '-p', String(broker.port), '--cafile', files.caFile, '--insecure'];
    const child = children.cli(['pub', ...args, '--identity', 'alice.key', '--to', 'bob.pub', '-t', 't', '-m', 'x'], dir);
    expect(await child.exited).toBe(0);
  });
});
