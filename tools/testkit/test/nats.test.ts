import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsAvailable, startNats, type RunningNats } from '../src/index.js';
import { connectOnce, roundTrip } from './mqtt-helpers.js';

describe.skipIf(!natsAvailable() && process.env['CI'] !== 'true')('startNats with MQTT', () => {
  let broker: RunningNats;
  beforeAll(async () => {
    broker = await startNats();
  }, 60_000);
  afterAll(async () => {
    await broker?.stop();
  });

  it('serves MQTT on loopback', async () => {
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const client = await connectOnce(broker.url, { protocolVersion: 4 });
    const { sent, received } = await roundTrip(client);
    expect(received).toBe(sent);
    await client.endAsync();
  });

  it('keeps retained messages', async () => {
    const publisher = await connectOnce(broker.url, { protocolVersion: 4 });
    const topic = `testkit/${Date.now()}/retained`;
    await publisher.publishAsync(topic, 'kept', { qos: 1, retain: true });
    await publisher.endAsync();
    const reader = await connectOnce(broker.url, { protocolVersion: 4 });
    const received = new Promise<string>((resolve) => reader.on('message', (_t, payload) => resolve(payload.toString())));
    await reader.subscribeAsync(topic, { qos: 1 });
    expect(await received).toBe('kept');
    await reader.endAsync();
  });
});
