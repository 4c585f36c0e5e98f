/**
 * The key exchange commands through the Mosquitto on 127.0.0.1:1883: anchor, endorse, announce
 * (with --rotate), pub --to CLIENT_ID, group publish, sub with --client-id, and revoke.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realMosquittoUrl } from '@mqtt-e2ee/testkit';
import { Children, mosquittoSkipReason, uniquePrefix, type Child } from './helpers.js';

const skipReason = await mosquittoSkipReason();
const brokerUrl = new URL(realMosquittoUrl);
const BROKER = ['-h', brokerUrl.hostname.replace(/^\[(.*)\]$/, '$1'), '-p', brokerUrl.port === '' ? '1883' : brokerUrl.port];

describe.skipIf(skipReason !== undefined)('key exchange commands', () => {
  const children = new Children();
  const prefix = `${uniquePrefix('kx').replaceAll('/', '-')}/v1`;
  const data = uniquePrefix('kx-data');
  let dir: string;

  /** Runs one command to completion and returns it. */
  async function run(args: string[]): Promise<Child> {
    const child = children.cli(args, dir);
    await child.exited;
    return child;
  }

  /** Key exchange flags of `name`, which trusts only keys endorsed by the anchor. */
  function kx(name: string): string[] {
    return ['--identity', `${name}.key`, '--client-id', name, '--prefix', prefix, '--anchor', 'org.pub', '--endorsement', `${name}.endorsement.json`];
  }

  async function startSub(name: string, extra: string[] = []): Promise<Child> {
    const sub = children.cli(['sub', ...BROKER, ...kx(name), '-t', `${data}/#`, '-q', '1', '-v', '-d', ...extra], dir);
    await sub.waitFor('the subscription', (child) => child.stderr.includes('debug: subscribed to'));
    return sub;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-cli-kx-'));
    const anchor = await run(['anchor', '-o', 'org']);
    expect(anchor.process.exitCode).toBe(0);
    expect(anchor.stdout.toString()).toMatch(/^mqe2e-ap1-/);
    for (const name of ['alice', 'bob', 'carol']) {
      expect((await run(['keygen', '-o', name])).process.exitCode).toBe(0);
      // The first announce adds a signing key line to NAME.key and NAME.pub.
      const announce = await run(['announce', ...BROKER, '--identity', `${name}.key`, '--client-id', name, '--prefix', prefix]);
      expect(announce.process.exitCode, announce.stderr).toBe(0);
      const endorse = await run(['endorse', '--anchor', 'org.key', '--client-id', name, '--device-key', `${name}.pub`, '--prefix', prefix, '-o', `${name}.endorsement.json`]);
      expect(endorse.process.exitCode, endorse.stderr).toBe(0);
    }
  }, 60_000);

  afterEach(() => children.killAll());

  afterAll(async () => {
    children.killAll();
    await rm(dir, { recursive: true, force: true });
    await clearRetained(`${prefix}/#`);
  });

  it('anchor key is private', async () => {
    expect((await stat(join(dir, 'org.key'))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(dir, 'alice.pub'), 'utf8')).trim().split('\n')).toHaveLength(2);
    const endorsement = JSON.parse(await readFile(join(dir, 'alice.endorsement.json'), 'utf8')) as Record<string, unknown>;
    expect(endorsement['kind']).toBe('mqe2e-endorsement');
    expect(endorsement['clientId']).toBe('alice');
  });

  it('pub sends to client id', async () => {
    const sub = await startSub('bob', ['-C', '1']);
    const pub = await run(['pub', ...BROKER, ...kx('alice'), '--to', 'bob', '-t', `${data}/direct`, '-m', 'hello bob', '-q', '1']);
    expect(pub.process.exitCode, pub.stderr).toBe(0);
    expect(await sub.exited).toBe(0);
    expect(sub.stdout.toString()).toBe(`${data}/direct hello bob\n`);
    expect(sub.stderr).toContain('from client alice');
  });

  it('group reaches every member', async () => {
    const bob = await startSub('bob', ['-C', '1']);
    const carol = await startSub('carol', ['-C', '1']);
    const pub = await run(['pub', ...BROKER, ...kx('alice'), '--group', 'plant', '--member', 'bob,carol', '--sign', '-t', `${data}/plant`, '-m', '21.5', '-q', '1']);
    expect(pub.process.exitCode, pub.stderr).toBe(0);
    for (const sub of [bob, carol]) {
      expect(await sub.exited).toBe(0);
      expect(sub.stdout.toString()).toBe(`${data}/plant 21.5\n`);
      expect(sub.stderr).toContain('group plant');
    }
  });

  it('unknown client fails clearly', async () => {
    const pub = await run(['pub', ...BROKER, ...kx('alice'), '--to', 'nobody', '-t', `${data}/x`, '-m', 'x']);
    expect(pub.process.exitCode).toBe(1);
    expect(pub.stderr).toContain('ERR_UNKNOWN_PEER');
  });

  it('announce rotates key', async () => {
    const before = await readFile(join(dir, 'bob.key'), 'utf8');
    const rotate = await run(['announce', ...BROKER, ...kx('bob'), '--rotate']);
    expect(rotate.process.exitCode, rotate.stderr).toBe(0);
    expect(rotate.stderr).toContain('rotated to key id');
    expect(await readFile(join(dir, 'bob.key'), 'utf8')).not.toBe(before);
    // The endorsed old key vouches for the new one through the rotation link.
    const sub = await startSub('bob', ['-C', '1']);
    const pub = await run(['pub', ...BROKER, ...kx('alice'), '--to', 'bob', '-t', `${data}/rotated`, '-m', 'new key', '-q', '1']);
    expect(pub.process.exitCode, pub.stderr).toBe(0);
    expect(await sub.exited).toBe(0);
    expect(sub.stdout.toString()).toBe(`${data}/rotated new key\n`);
  });

  it('revoked key is refused', async () => {
    const revoke = await run(['revoke', ...BROKER, '--anchor', 'org.key', '--client-id', 'carol', '--device-key', 'carol.pub', '--prefix', prefix, '--reason', 'lost']);
    expect(revoke.process.exitCode, revoke.stderr).toBe(0);
    const pub = await run(['pub', ...BROKER, ...kx('alice'), '--to', 'carol', '-t', `${data}/revoked`, '-m', 'x']);
    expect(pub.process.exitCode).toBe(1);
    expect(pub.stderr).toContain('ERR_KEY_REVOKED');
  });

  it('group needs client id', async () => {
    const pub = await run(['pub', ...BROKER, '--identity', 'alice.key', '--group', 'plant', '--member', 'bob', '-t', 'x', '-m', 'x']);
    expect(pub.process.exitCode).toBe(2);
    expect(pub.stderr).toContain('--group needs key exchange');
  });
});

/** Deletes every retained message under `filter` on the shared broker, so test records do not pile up. */
async function clearRetained(filter: string): Promise<void> {
  const client = await mqtt.connectAsync(realMosquittoUrl, { reconnectPeriod: 0 });
  const topics = new Set<string>();
  client.on('message', (topic, payload, packet) => {
    if (packet.retain && payload.length > 0) topics.add(topic);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const topic of topics) await client.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
  await client.endAsync();
}
