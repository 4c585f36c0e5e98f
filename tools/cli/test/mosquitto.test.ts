import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realMosquittoUrl } from '@mqtt-e2ee/testkit';
import { Children, countOccurrences, mosquittoSkipReason, uniquePrefix, type Child } from './helpers.js';

const skipReason = await mosquittoSkipReason();
if (skipReason !== undefined) console.warn(`skipping the Mosquitto tests of the CLI: ${skipReason}`);

const brokerUrl = new URL(realMosquittoUrl);
/** Host and port of the shared Mosquitto, in the flags that both mqtt-e2ee and mosquitto_pub accept. */
const BROKER = ['-h', brokerUrl.hostname.replace(/^\[(.*)\]$/, '$1'), '-p', brokerUrl.port === '' ? '1883' : brokerUrl.port];

/** Lines for `pub -l`: ASCII, UTF-8, a tab, a carriage return, an empty line and bytes that are not UTF-8. */
const LINES: Buffer[] = [
  Buffer.from('2025-03-14T06:00:00Z,greenhouse-01,24.19,69.6,89.7'),
  Buffer.from('Grüße aus dem Kühlhaus, 3.5 °C ✓'),
  Buffer.from('tab\tseparated\tfields'),
  Buffer.from('line ending in a carriage return\r'),
  Buffer.alloc(0),
  Buffer.concat([Buffer.from('raw bytes '), Buffer.from([0xff, 0xfe, 0x00, 0x80])]),
];

describe.skipIf(skipReason !== undefined)('mqtt-e2ee against Mosquitto', () => {
  const children = new Children();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-cli-'));
    for (const name of ['alice', 'bob', 'carol']) {
      const keygen = children.cli(['keygen', '-o', name], dir);
      expect(await keygen.exited).toBe(0);
    }
  });

  afterEach(() => children.killAll());

  afterAll(async () => {
    children.killAll();
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts `sub` and waits until its subscription is in place (the -d line on stderr). */
  async function startSub(args: string[]): Promise<Child> {
    const sub = children.cli(['sub', ...BROKER, '--identity', 'bob.key', '-q', '1', '-d', ...args], dir);
    await sub.waitFor('the subscription', (child) => child.stderr.includes('debug: subscribed to'));
    return sub;
  }

  /** Starts mosquitto_sub on `filter` and waits until a clear-text probe on `probeTopic` arrives. */
  async function startEavesdropper(filter: string, probeTopic: string): Promise<Child> {
    const spy = children.spawn('mosquitto_sub', [...BROKER, '-v', '-t', filter]);
    for (let attempt = 0; !spy.stdout.includes(probeTopic); attempt++) {
      const probe = children.spawn('mosquitto_pub', [...BROKER, '-t', probeTopic, '-m', `probe ${attempt}`]);
      expect(await probe.exited).toBe(0);
      await spy.waitFor('the probe', (child) => child.stdout.includes(probeTopic), 500).catch(() => undefined);
    }
    return spy;
  }

  it('keygen writes a private key file', async () => {
    const info = await stat(join(dir, 'alice.key'));
    expect(info.mode & 0o777).toBe(0o600);
    const publicLine = await readFile(join(dir, 'alice.pub'), 'utf8');
    expect(publicLine).toMatch(/^mqe2e-pk1-[A-Za-z0-9_-]+\n$/);
    const again = children.cli(['keygen', '-o', 'alice'], dir);
    expect(await again.exited).toBe(1);
    expect(again.stderr).toMatch(/alice\.key already exists; pass --force/);
    expect(await readFile(join(dir, 'alice.pub'), 'utf8')).toBe(publicLine);
  });

  it('delivers every source byte for byte', async () => {
    const prefix = uniquePrefix('cli');
    const binary = randomBytes(4096);
    await writeFile(join(dir, 'blob.bin'), binary);
    const sender = ['--identity', 'alice.key', '--to', 'bob.pub', '-q', '1'];

    const whole = Buffer.from('all of stdin\nas one message\n');
    const sub = await startSub(['--from', 'alice.pub', '-t', `${prefix}/data/#`, '-v', '-C', String(LINES.length + 3)]);
    const spy = await startEavesdropper(`${prefix}/#`, `${prefix}/probe/start`);

    const lines = children.cli(['pub', ...BROKER, ...sender, '-t', `${prefix}/data/lines`, '-l'], dir);
    lines.finishInput(Buffer.concat(LINES.flatMap((line) => [line, Buffer.from('\n')])));
    expect(await lines.exited).toBe(0);
    const file = children.cli(['pub', ...BROKER, ...sender, '-t', `${prefix}/data/file`, '-f', 'blob.bin'], dir);
    expect(await file.exited).toBe(0);
    const stdin = children.cli(['pub', ...BROKER, ...sender, '-t', `${prefix}/data/stdin`, '-s'], dir);
    stdin.finishInput(whole);
    expect(await stdin.exited).toBe(0);
    const empty = children.cli(['pub', ...BROKER, ...sender, '-t', `${prefix}/data/empty`, '-n'], dir);
    expect(await empty.exited).toBe(0);

    expect(await sub.exited).toBe(0);
    const expected = Buffer.concat([
      ...LINES.map((line) => Buffer.concat([Buffer.from(`${prefix}/data/lines `), line, Buffer.from('\n')])),
      Buffer.from(`${prefix}/data/file `),
      binary,
      Buffer.from(`\n${prefix}/data/stdin `),
      whole,
      Buffer.from(`\n${prefix}/data/empty \n`),
    ]);
    expect(sub.stdout.equals(expected)).toBe(true);
    expect(sub.stderr).not.toMatch(/rejected/);

    // Mosquitto queues a publish to every subscriber before it acknowledges it, so the
    // envelopes reach the eavesdropper before this later probe does.
    const end = children.spawn('mosquitto_pub', [...BROKER, '-t', `${prefix}/probe/end`, '-m', 'end']);
    expect(await end.exited).toBe(0);
    await spy.waitFor('the end probe', (child) => child.stdout.includes(`${prefix}/probe/end`));
    const seen = spy.stdout;
    expect(countOccurrences(seen, Buffer.from(`${prefix}/data/lines `))).toBe(LINES.length);
    expect(countOccurrences(seen, Buffer.from(`${prefix}/data/file `))).toBe(1);
    expect(countOccurrences(seen, Buffer.from(`${prefix}/data/stdin `))).toBe(1);
    expect(seen.includes(Buffer.from('as one message'))).toBe(false);
    for (const line of LINES.filter((candidate) => candidate.length >= 8)) {
      expect(seen.includes(line), `plaintext line visible: ${line.toString('latin1')}`).toBe(false);
    }
    expect(seen.includes(binary.subarray(0, 16))).toBe(false);
    expect(seen.includes(binary.subarray(2048, 2064))).toBe(false);
  });

  it('rejects a sender not in --from', async () => {
    const prefix = uniquePrefix('cli-from');
    const sub = await startSub(['--from', 'carol.pub', '-t', `${prefix}/#`]);
    const pub = children.cli(['pub', ...BROKER, '--identity', 'alice.key', '--to', 'bob.pub', '-t', `${prefix}/x`, '-m', 'must-not-print'], dir);
    expect(await pub.exited).toBe(0);
    await sub.waitFor('the rejection', (child) => child.stderr.includes('rejected a message'));
    const rejection = sub.stderr.split('\n').find((line) => line.includes('rejected a message')) ?? '';
    expect(rejection).toContain(`on topic '${prefix}/x'`);
    expect(rejection).toContain(': ERR_SENDER_NOT_ALLOWED (');
    expect(rejection).toMatch(/\(sender key id [0-9a-f]{16} is not in the --from list; /);
    expect(rejection).toContain("add the sender's public key with --from");
    expect(rejection).not.toContain("'from'");
    expect(rejection).not.toContain('must-not-print');
    sub.process.kill('SIGTERM');
    expect(await sub.exited).toBe(0);
    expect(sub.stdout.length).toBe(0);
  });

  it('skips envelopes for others quietly', async () => {
    const prefix = uniquePrefix('cli-skip');
    const topic = `${prefix}/x`;
    const subArgs = ['--from', 'alice.pub', '-t', `${prefix}/#`, '-C', '2'];
    const quiet = children.cli(['sub', ...BROKER, '--identity', 'bob.key', '-q', '1', ...subArgs], dir);
    const debug = await startSub(subArgs);
    // Each pub sends a copy for carol, then one for bob, on one connection and in that order. The
    // quiet sub shows no sign of its subscription, so pairs go out until it got two copies for bob.
    // By then at least one copy for carol reached it, between or before those two.
    for (let attempt = 0; quiet.process.exitCode === null; attempt++) {
      if (attempt === 20) throw new Error(`sub without -d got fewer than 2 messages; stderr: ${quiet.stderr}`);
      const pub = children.cli(['pub', ...BROKER, '--identity', 'alice.key', '--to', 'carol.pub', '--to', 'bob.pub', '-q', '1', '-t', topic, '-m', 'for bob'], dir);
      expect(await pub.exited).toBe(0);
      await quiet.waitFor('two messages', (child) => child.process.exitCode !== null, 500).catch(() => undefined);
    }
    expect(await quiet.exited).toBe(0);
    expect(quiet.stdout.toString()).toBe('for bob\nfor bob\n');
    expect(quiet.stderr).toBe('');
    expect(await debug.exited).toBe(0);
    expect(debug.stderr).toMatch(new RegExp(`debug: skipped an envelope on '${topic}' for recipient key id [0-9a-f]{16}\n`));
    expect(debug.stderr).not.toContain('rejected a message');
  });

  it('reports clear text as a rejection', async () => {
    const prefix = uniquePrefix('cli-clear');
    const sub = await startSub(['--from', 'alice.pub', '-t', `${prefix}/#`]);
    const pub = children.spawn('mosquitto_pub', [...BROKER, '-t', `${prefix}/plain`, '-m', 'clear text payload']);
    expect(await pub.exited).toBe(0);
    await sub.waitFor('the rejection', (child) => child.stderr.includes('rejected a message'));
    expect(sub.stderr).toMatch(new RegExp(`rejected a message on topic '${prefix}/plain': ERR_ENVELOPE_FORMAT`));
    expect(sub.stderr).not.toContain('clear text payload');
    sub.process.kill('SIGTERM');
    expect(await sub.exited).toBe(0);
    expect(sub.stdout.length).toBe(0);
  });

  it('exits 1 when -W expires before -C', async () => {
    const prefix = uniquePrefix('cli-timeout');
    const sub = children.cli(['sub', ...BROKER, '--identity', 'bob.key', '--from', 'alice.pub', '-t', `${prefix}/#`, '-C', '1', '-W', '0.5'], dir);
    expect(await sub.exited).toBe(1);
    expect(sub.stderr).toMatch(/timed out after 0\.5 s with 0 of 1 messages/);
  });
});
