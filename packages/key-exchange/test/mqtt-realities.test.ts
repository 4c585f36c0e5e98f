/**
 * Broker behaviours key exchange must handle: no retained messages (CONNACK Retain Available 0)
 * and refused subscriptions (SUBACK failure codes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoAvailable, startAedes, startMosquitto, type RunningAedes, type RunningMosquitto } from '@mqtt-e2ee/testkit';
import { NotAuthorizedError, RetainUnavailableError, generateDeviceIdentity } from '../src/index.js';
import { connectKx, uniqueName, type KxClient } from './kx-client.js';

const text = (value: string) => new TextEncoder().encode(value);

describe.skipIf(!mosquittoAvailable() && process.env['CI'] !== 'true')('broker without retained messages', () => {
  let broker: RunningMosquitto;
  const clients: KxClient[] = [];
  const prefix = `${uniqueName('noretain')}/v1`;

  beforeAll(async () => {
    broker = await startMosquitto({ extraConfig: ['retain_available false'] });
  }, 30_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.end()));
    await broker?.stop();
  });

  it('fails clearly in fail mode', async () => {
    const start = connectKx(broker.url, { clientId: 'alice', identity: generateDeviceIdentity(), policy: 'tofu', prefix, mqtt: { protocolVersion: 5 } });
    await expect(start).rejects.toThrow(RetainUnavailableError);
    await expect(start).rejects.toMatchObject({ code: 'ERR_RETAIN_UNAVAILABLE' });
  });

  it('discovers peers in request mode', async () => {
    const options = { policy: 'tofu' as const, prefix, retainUnavailable: 'request' as const, mqtt: { protocolVersion: 5 as const } };
    const alice = await connectKx(broker.url, { ...options, clientId: 'alice', identity: generateDeviceIdentity() });
    clients.push(alice);
    const bob = await connectKx(broker.url, { ...options, clientId: 'bob', identity: generateDeviceIdentity() });
    clients.push(bob);
    expect(alice.kx.retain).toBe(false);
    const topic = `${prefix}-data/direct`;
    await bob.mqtt.subscribeAsync(topic, { qos: 1 });
    // Alice started first, so she learns Bob's key only by asking on the discovery topic.
    const sealed = await alice.kx.sealFor('bob', topic, text('no retain needed'));
    await alice.mqtt.publishAsync(topic, Buffer.from(sealed), { qos: 1 });
    const message = await bob.until(() => bob.messages.find((m) => m.topic === topic), 'message at bob');
    expect(new TextDecoder().decode(message.plaintext)).toBe('no retain needed');
    expect(message.sender).toBe('alice');
  });
});

describe('broker that refuses a subscription', () => {
  let broker: RunningAedes;

  beforeAll(async () => {
    broker = await startAedes({
      aedes: {
        authorizeSubscribe: (_client, subscription, callback) => {
          // A null subscription makes Aedes send SUBACK 0x80 for the inbox filter and grant the rest.
          if (subscription.topic.includes('/inbox/')) callback(null, null);
          else callback(null, subscription);
        },
      },
    });
  }, 30_000);

  afterAll(async () => {
    await broker?.stop();
  });

  it('reports not authorized', async () => {
    const start = connectKx(broker.url, { clientId: 'alice', identity: generateDeviceIdentity(), policy: 'tofu', prefix: `${uniqueName('acl')}/v1` });
    const error = await start.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NotAuthorizedError);
    expect((error as NotAuthorizedError).code).toBe('ERR_NOT_AUTHORIZED');
    expect((error as NotAuthorizedError).topic).toMatch(/\/inbox\/alice\/#$/);
    expect((error as NotAuthorizedError).reasonCode).toBe(0x80);
  });
});
