import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, reachable, realMosquittoUrl } from '../src/index.js';
import { DEFAULT_MOSQUITTO_URL, mosquittoUrlFrom } from '../src/net.js';

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
    expect(['127.0.0.1', '[::1]', 'localhost']).toContain(new URL(realMosquittoUrl).hostname);
    expect(realMosquittoUrl).toBe(mosquittoUrlFrom(process.env['MQTT_E2EE_TEST_MOSQUITTO_URL']));
  });
});

describe('mosquittoUrlFrom', () => {
  it('defaults to 127.0.0.1:1883', () => {
    expect(mosquittoUrlFrom(undefined)).toBe('mqtt://127.0.0.1:1883');
    expect(mosquittoUrlFrom('')).toBe(DEFAULT_MOSQUITTO_URL);
  });

  it('accepts loopback overrides', () => {
    for (const url of ['mqtt://127.0.0.1:1', 'mqtt://[::1]:1884', 'mqtt://localhost:1885', 'mqtt://LOCALHOST']) {
      expect(mosquittoUrlFrom(url)).toBe(url);
    }
  });

  it('rejects other hosts', () => {
    for (const url of ['mqtt://192.168.1.10:1883', 'mqtt://127.0.0.2:1883', 'mqtt://broker.example:1883', 'mqtt://169.254.169.254']) {
      expect(() => mosquittoUrlFrom(url), url).toThrow(/MQTT_E2EE_TEST_MOSQUITTO_URL: .*must be 127\.0\.0\.1, \[::1\] or localhost/);
    }
  });

  it('rejects other schemes and text', () => {
    expect(() => mosquittoUrlFrom('mqtts://127.0.0.1:8883')).toThrow(/expected an mqtt:\/\/ URL/);
    expect(() => mosquittoUrlFrom('127.0.0.1:1883')).toThrow(/MQTT_E2EE_TEST_MOSQUITTO_URL/);
    expect(() => mosquittoUrlFrom('not a url')).toThrow(/expected a URL such as mqtt:\/\/127\.0\.0\.1:1883/);
  });
});
