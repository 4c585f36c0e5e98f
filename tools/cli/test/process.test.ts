import { chmod, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
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

  it('prints the package version', async () => {
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const child = children.cli(['--version'], dir);
    expect(await child.exited).toBe(0);
    expect(child.stdout.toString()).toBe(`mqtt-e2ee ${manifest.version}\n`);
  });

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
    expect(child.stderr).toContain(`Connecting to mqtt://127.0.0.1:${port} failed`);
    expect(child.stderr).toContain('Check that the broker is running and listens on that host and port.');
  });

  for (const command of ['keygen', 'anchor']) {
    it(`${command} names a missing -o directory`, async () => {
      const child = children.cli([command, '-o', 'missing/dir/x'], dir);
      expect(await child.exited).toBe(2);
      expect(child.stderr).toContain("the directory missing/dir in -o/--out 'missing/dir/x' does not exist");
      expect(child.stderr).toContain('create it (mkdir -p missing/dir)');
      expect(child.stderr).not.toContain('.tmp');
      expect(child.stdout.length).toBe(0);
    });
  }

  it('keygen names a file as -o directory', async () => {
    const child = children.cli(['keygen', '-o', 'alice.pub/x'], dir);
    expect(await child.exited).toBe(2);
    expect(child.stderr).toContain("alice.pub in -o/--out 'alice.pub/x' is not a directory");
    expect(child.stderr).not.toContain('.tmp');
  });
});

describe('TLS to a plaintext listener', () => {
  let broker: RunningAedes;

  beforeAll(async () => {
    broker = await startAedes({ websockets: true });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('suggests mqtt:// for mqtts', async () => {
    const url = `mqtts://127.0.0.1:${broker.port}`;
    const child = children.cli(['sub', '-L', `${url}/t`, '--identity', 'bob.key', '--from', 'alice.pub'], dir);
    expect(await child.exited).toBe(1);
    expect(child.stderr).toContain(`Connecting to ${url} failed`);
    expect(child.stderr).toContain(`Port ${broker.port} may be a plaintext listener that does not speak TLS`);
    expect(child.stderr).toContain('Use mqtt:// for that port, or the TLS port of the broker.');
    expect(child.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('suggests ws:// for wss', async () => {
    const wsPort = new URL(broker.wsUrl ?? '').port;
    const child = children.cli(['pub', '-L', `wss://127.0.0.1:${wsPort}/t`, '--identity', 'alice.key', '--to', 'bob.pub', '-m', 'x'], dir);
    expect(await child.exited).toBe(1);
    expect(child.stderr).toContain(`Connecting to wss://127.0.0.1:${wsPort}/mqtt failed`);
    expect(child.stderr).toContain(`Port ${wsPort} may be a plaintext listener`);
    expect(child.stderr).toContain('Use ws:// for that port');
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

describe('secret keys in errors', () => {
  /** Returns the secret key text of alice.key, the value a user might paste by mistake. */
  async function aliceSecret(): Promise<string> {
    const secret = (await readFile(join(dir, 'alice.key'), 'utf8')).split('\n').find((line) => line.startsWith('mqe2e-sk1-'));
    if (secret === undefined) throw new Error('alice.key has no mqe2e-sk1- line');
    return secret;
  }

  it('rejects a padded secret --to', async () => {
    const secret = await aliceSecret();
    const child = children.cli(['pub', '--identity', 'alice.key', '--to', ` ${secret}`, '-t', 't', '-m', 'x'], dir);
    expect(await child.exited).toBe(2);
    expect(child.stderr).toMatch(/--to got a secret key/);
    expect(child.stderr).not.toContain(secret.slice('mqe2e-sk1-'.length));
  });

  it('rejects an upper-case secret --from', async () => {
    const secret = await aliceSecret();
    const child = children.cli(['sub', '--identity', 'bob.key', '--from', secret.toUpperCase(), '-t', 't'], dir);
    expect(await child.exited).toBe(2);
    expect(child.stderr).toMatch(/--from got a secret key/);
    expect(child.stderr.toUpperCase()).not.toContain(secret.slice('mqe2e-sk1-'.length).toUpperCase());
  });

  it('redacts secrets in any error', async () => {
    const secret = await aliceSecret();
    const body = secret.slice('mqe2e-sk1-'.length);
    const stray = children.cli(['pub', '--identity', 'alice.key', '--to', 'bob.pub', '-t', 't', '-r', secret], dir);
    expect(await stray.exited).toBe(2);
    expect(stray.stderr).toContain("unexpected argument 'mqe2e-sk1-<redacted>'");
    expect(stray.stderr).not.toContain(body);
    const command = children.cli([secret], dir);
    expect(await command.exited).toBe(2);
    expect(command.stderr).toContain("unknown command 'mqe2e-sk1-<redacted>'");
    expect(command.stderr).not.toContain(body);
  });
});

describe('key value errors', () => {
  /** Returns bob's public key line as written to bob.pub. */
  async function bobPublic(): Promise<string> {
    return (await readFile(join(dir, 'bob.pub'), 'utf8')).split('\n')[0] ?? '';
  }

  it('names a wrong key version', async () => {
    const key = (await bobPublic()).replace('mqe2e-pk1-', 'mqe2e-pk2-');
    const child = children.cli(['pub', '--identity', 'alice.key', '--to', key, '-t', 't', '-m', 'x'], dir);
    expect(await child.exited).toBe(2);
    expect(child.stderr).toMatch(/invalid public key for --to: .*unsupported format version.*mqe2e-pk1-/);
    expect(child.stderr).not.toMatch(/file not found/);
  });

  it('names an upper-case prefix', async () => {
    const key = await bobPublic();
    const child = children.cli(['pub', '--identity', 'alice.key', '--to', `MQE2E-PK1-${key.slice(10)}`, '-t', 't', '-m', 'x'], dir);
    expect(await child.exited).toBe(2);
    expect(child.stderr).toMatch(/invalid public key for --to: .*must be lowercase mqe2e-pk1-/);
    expect(child.stderr).not.toMatch(/file not found/);
  });

  it('names a key without prefix', async () => {
    const body = (await bobPublic()).slice('mqe2e-pk1-'.length);
    const child = children.cli(['sub', '--identity', 'bob.key', '--from', body, '-t', 't'], dir);
    expect(await child.exited).toBe(2);
    expect(child.stderr).toMatch(/invalid public key for --from: .*must start with mqe2e-pk1-/);
    expect(child.stderr).not.toMatch(/file not found/);
  });

  it('accepts a padded public key', async () => {
    const port = await freePort();
    const child = children.cli(['pub', '-p', String(port), '-h', '127.0.0.1', '--identity', ' alice.key ', '--to', ` ${await bobPublic()}\n`, '-t', 't', '-m', 'x'], dir);
    // Exit 1 with ERR_CONNECT shows that both keys were accepted and only the closed port failed.
    expect(await child.exited).toBe(1);
    expect(child.stderr).toMatch(/ERR_CONNECT/);
  });

  it('names a .pub file given as identity', async () => {
    await chmod(join(dir, 'bob.pub'), 0o644);
    const child = children.cli(['pub', '--identity', 'bob.pub', '--to', 'alice.pub', '-t', 't', '-m', 'x'], dir);
    expect(await child.exited).toBe(2);
    expect(child.stderr).toContain('bob.pub contains a public key; pass the matching .key file to --identity');
    expect(child.stderr).not.toMatch(/chmod/);
  });

  it('still reports a loose .key mode', async () => {
    await writeFile(join(dir, 'loose.key'), await readFile(join(dir, 'alice.key')), { mode: 0o644 });
    await chmod(join(dir, 'loose.key'), 0o644);
    const child = children.cli(['pub', '--identity', 'loose.key', '--to', 'bob.pub', '-t', 't', '-m', 'x'], dir);
    expect(await child.exited).toBe(2);
    expect(child.stderr).toMatch(/chmod 600 loose\.key/);
  });
});

describe('oversized messages', () => {
  it('rejects a file above the MQTT limit', async () => {
    // A sparse file: 300 MB in size without using the disk space.
    const path = join(dir, 'huge.bin');
    await writeFile(path, '');
    await truncate(path, 300 * 1024 * 1024);
    const port = await freePort();
    const child = children.cli(['pub', '-h', '127.0.0.1', '-p', String(port), '--identity', 'alice.key', '--to', 'bob.pub', '-t', 't', '-f', 'huge.bin'], dir);
    // Exit 2 before connecting: the size is checked before the closed port is tried.
    expect(await child.exited).toBe(2);
    expect(child.stderr).toContain("-f/--file 'huge.bin' is 314,572,800 bytes");
    expect(child.stderr).toContain('268,435,455 bytes');
    expect(child.stderr).toMatch(/split the data into parts/);
    expect(child.stderr).not.toMatch(/maxEnvelopeBytes/);
    await rm(path);
  });
});
