import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, reachable, realMosquittoUrl } from '../src/index.js';

describe('freePort and reachable', () => {
  it('freePort returns a bindable port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    expect(await reachable(`mqtt://127.0.0.1:${port}`)).toBe(true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await reachable(`mqtt://127.0.0.1:${port}`)).toBe(false);
  });

  it('reachable parses IPv6 literals', async () => {
    const port = await freePort();
    expect(await reachable(`mqtt://[::1]:${port}`)).toBe(false);
  });

  it('realMosquittoUrl points at loopback', () => {
    expect(new URL(realMosquittoUrl).hostname).toBe('127.0.0.1');
    expect(new URL(realMosquittoUrl).port).toBe('1883');
  });
});
