import { describe, expect, it } from 'vitest';
import { clientTlsOptions, startAedes } from '../src/index.js';
import { connectOnce, pkiOf, roundTrip } from './mqtt-helpers.js';

describe('startAedes', () => {
  it('round trips over TLS', async () => {
    const broker = await startAedes({ tls: true });
    try {
      expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
      const client = await connectOnce(broker.url, clientTlsOptions(pkiOf(broker), 'none'));
      const { sent, received } = await roundTrip(client);
      expect(received).toBe(sent);
      await client.endAsync();
    } finally {
      await broker.stop();
    }
  }, 30_000);

  it('TLS rejects an unknown server CA', async () => {
    const broker = await startAedes({ tls: true });
    try {
      const otherCa = pkiOf(broker).otherCa?.cert ?? '';
      expect(otherCa).toContain('BEGIN CERTIFICATE');
      await expect(connectOnce(broker.url, { ca: otherCa })).rejects.toThrow();
    } finally {
      await broker.stop();
    }
  }, 30_000);

  it('mTLS requires a client certificate', async () => {
    const broker = await startAedes({ requireCertificate: true });
    try {
      const pki = pkiOf(broker);
      await expect(connectOnce(broker.url, clientTlsOptions(pki, 'none'))).rejects.toThrow();
      await expect(connectOnce(broker.url, clientTlsOptions(pki, 'otherClient'))).rejects.toThrow();
      const client = await connectOnce(broker.url, clientTlsOptions(pki));
      const { sent, received } = await roundTrip(client);
      expect(received).toBe(sent);
      await client.endAsync();
    } finally {
      await broker.stop();
    }
  }, 30_000);

  it('round trips over WebSockets', async () => {
    const broker = await startAedes({ websockets: true });
    try {
      expect(broker.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
      const client = await connectOnce(broker.wsUrl ?? '');
      const { sent, received } = await roundTrip(client);
      expect(received).toBe(sent);
      await client.endAsync();
    } finally {
      await broker.stop();
    }
  }, 30_000);

  it('stop closes connected clients', async () => {
    const broker = await startAedes();
    const client = await connectOnce(broker.url);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await broker.stop();
    await closed;
    expect(client.connected).toBe(false);
    client.end(true);
  }, 30_000);
});
