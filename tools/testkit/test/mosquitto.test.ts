import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientTlsOptions, mosquittoAvailable, startMosquitto, type RunningMosquitto } from '../src/index.js';
import { connectOnce, pkiOf, roundTrip } from './mqtt-helpers.js';

describe.skipIf(!mosquittoAvailable())('startMosquitto with mTLS', () => {
  let broker: RunningMosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ tls: true, requireCertificate: true, websockets: true });
  }, 30_000);
  afterAll(async () => {
    await broker?.stop();
  });

  it('accepts client from same CA', async () => {
    expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const client = await connectOnce(broker.url, clientTlsOptions(pkiOf(broker)));
    const { sent, received } = await roundTrip(client);
    expect(received).toBe(sent);
    await client.endAsync();
  });

  it('rejects client without certificate', async () => {
    await expect(connectOnce(broker.url, clientTlsOptions(pkiOf(broker), 'none'))).rejects.toThrow();
  });

  it('rejects client from other CA', async () => {
    const options = clientTlsOptions(pkiOf(broker), 'otherClient');
    await expect(connectOnce(broker.url, options)).rejects.toThrow();
  });

  it('serves MQTT over secure WebSockets', async () => {
    expect(broker.wsUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    const client = await connectOnce(broker.wsUrl ?? '', clientTlsOptions(pkiOf(broker)));
    const { sent, received } = await roundTrip(client);
    expect(received).toBe(sent);
    await client.endAsync();
  });

  it('writes the PKI files', () => {
    expect(broker.pkiFiles?.serverKeyFile).toMatch(/server\.key$/);
  });
});

describe.skipIf(!mosquittoAvailable())('startMosquitto without TLS', () => {
  it('round trips over TCP', async () => {
    const broker = await startMosquitto({ websockets: true });
    try {
      expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      expect(broker.pki).toBeUndefined();
      const client = await connectOnce(broker.url);
      const { sent, received } = await roundTrip(client);
      expect(received).toBe(sent);
      await client.endAsync();
      const wsClient = await connectOnce(broker.wsUrl ?? '');
      const overWs = await roundTrip(wsClient);
      expect(overWs.received).toBe(overWs.sent);
      await wsClient.endAsync();
    } finally {
      await broker.stop();
    }
  }, 30_000);

  it('stop frees the port', async () => {
    const broker = await startMosquitto();
    await broker.stop();
    await expect(connectOnce(broker.url, { connectTimeout: 1000 })).rejects.toThrow();
  }, 30_000);
});
