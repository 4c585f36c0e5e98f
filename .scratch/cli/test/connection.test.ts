import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerTarget, describeTarget } from '../src/connection.js';
import { UsageError } from '../src/errors.js';
import { parsePubArgs } from '../src/parse.js';

const SETTINGS = { cleanSession: true, reconnectPeriodMs: 0 };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-cli-conn-'));
  await writeFile(join(dir, 'ca.pem'), 'CA PEM');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function connectionOf(...args: string[]) {
  const parsed = parsePubArgs(['--identity', 'a.key', '--to', 'b.pub', '-t', 't', '-n', ...args]);
  if (parsed.help) throw new Error('expected options');
  return parsed.options.connection;
}

describe('brokerTarget', () => {
  it('maps flags to MQTT.js options', async () => {
    const connection = connectionOf('-h', '127.0.0.1', '-p', '1884', '-i', 'id1', '-u', 'user', '-P', 'hunter2', '-k', '7', '-V', '5');
    const target = await brokerTarget(connection, SETTINGS);
    expect(target.url).toBe('mqtt://127.0.0.1:1884');
    expect(target.mqtt).toMatchObject({
      clientId: 'id1',
      username: 'user',
      password: 'hunter2',
      keepalive: 7,
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 0,
    });
    expect(describeTarget(target, connection)).not.toContain('hunter2');
    expect(describeTarget(target, connection)).not.toContain('user,');
  });

  it('names MQTT 3.1 MQIsdp', async () => {
    const target = await brokerTarget(connectionOf('-V', 'mqttv31'), SETTINGS);
    expect(target.mqtt.protocolVersion).toBe(3);
    expect(target.mqtt.protocolId).toBe('MQIsdp');
  });

  it('reads the CA and keeps chain checks', async () => {
    const target = await brokerTarget(connectionOf('--cafile', join(dir, 'ca.pem'), '-h', '::1'), SETTINGS);
    expect(target.url).toBe('mqtts://[::1]:8883');
    expect(String(target.mqtt.ca)).toBe('CA PEM');
    expect(target.mqtt.rejectUnauthorized).toBe(true);
    expect('checkServerIdentity' in target.mqtt).toBe(false);
  });

  it('skips only the host check with --insecure', async () => {
    const target = await brokerTarget(connectionOf('--cafile', join(dir, 'ca.pem'), '--insecure'), SETTINGS);
    expect(target.mqtt.rejectUnauthorized).toBe(true);
    const check = (target.mqtt as { checkServerIdentity?: () => unknown }).checkServerIdentity;
    expect(typeof check).toBe('function');
    expect(check?.()).toBeUndefined();
  });

  it('adds the WebSocket path', async () => {
    const plain = await brokerTarget(connectionOf('-L', 'ws://127.0.0.1:9001'), SETTINGS);
    expect(plain.url).toBe('ws://127.0.0.1:9001/mqtt');
    const custom = await brokerTarget(connectionOf('-L', 'wss://127.0.0.1', '--ws-path', '/broker'), SETTINGS);
    expect(custom.url).toBe('wss://127.0.0.1:443/broker');
  });

  it('rejects an unreadable CA file', async () => {
    await expect(brokerTarget(connectionOf('--cafile', join(dir, 'missing.pem')), SETTINGS)).rejects.toThrow(UsageError);
    await expect(brokerTarget(connectionOf('--cafile', join(dir, 'missing.pem')), SETTINGS)).rejects.toThrow(
      /cannot read the file given to --cafile .*ENOENT/,
    );
  });
});
