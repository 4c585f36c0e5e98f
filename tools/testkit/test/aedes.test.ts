import type { IClientOptions } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { clientTlsOptions, startAedes, type AedesBrokerOptions, type RunningAedes } from '../src/index.js';
import { connectOnce, pkiOf, roundTrip } from './mqtt-helpers.js';

/** Starts a broker, runs the check against it and stops the broker even when the check fails. */
async function withAedes(options: AedesBrokerOptions, check: (broker: RunningAedes) => Promise<void>): Promise<void> {
  const broker = await startAedes(options);
  try {
    await check(broker);
  } finally {
    await broker.stop();
  }
}

/** Connects, sends one message to itself and expects the same text back. */
async function expectRoundTrip(url: string, options?: IClientOptions): Promise<void> {
  const client = await connectOnce(url, options);
  const { sent, received } = await roundTrip(client);
  expect(received).toBe(sent);
  await client.endAsync();
}

describe('startAedes', () => {
  it('round trips over TLS', async () => {
    await withAedes({ tls: true }, async (broker) => {
      expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
      await expectRoundTrip(broker.url, clientTlsOptions(pkiOf(broker), 'none'));
    });
  }, 30_000);

  it('TLS rejects an unknown server CA', async () => {
    await withAedes({ tls: true }, async (broker) => {
      const otherCa = pkiOf(broker).otherCa?.cert ?? '';
      expect(otherCa).toContain('BEGIN CERTIFICATE');
      await expect(connectOnce(broker.url, { ca: otherCa })).rejects.toThrow();
    });
  }, 30_000);

  it('mTLS requires a client certificate', async () => {
    await withAedes({ requireCertificate: true }, async (broker) => {
      const pki = pkiOf(broker);
      await expect(connectOnce(broker.url, clientTlsOptions(pki, 'none'))).rejects.toThrow();
      await expect(connectOnce(broker.url, clientTlsOptions(pki, 'otherClient'))).rejects.toThrow();
      await expectRoundTrip(broker.url, clientTlsOptions(pki));
    });
  }, 30_000);

  it('round trips over WebSockets', async () => {
    await withAedes({ websockets: true }, async (broker) => {
      expect(broker.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
      await expectRoundTrip(broker.wsUrl ?? '');
    });
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
