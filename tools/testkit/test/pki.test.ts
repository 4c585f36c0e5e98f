import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { clientTlsOptions, createTestPki, writeTestPki, type TestPkiFiles } from '../src/index.js';

describe('createTestPki', () => {
  const pki = createTestPki({ otherCa: true });
  const ca = new X509Certificate(pki.ca.cert);
  const server = new X509Certificate(pki.server.cert);
  const client = new X509Certificate(pki.client.cert);

  it('issues server and client from CA', () => {
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(client.checkIssued(ca)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
  });

  it('server certificate names loopback hosts', () => {
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkIP('::1')).toBe('::1');
    expect(server.checkHost('example.com')).toBeUndefined();
  });

  it('keys match their certificates', () => {
    expect(server.checkPrivateKey(createPrivateKey(pki.server.key))).toBe(true);
    expect(client.checkPrivateKey(createPrivateKey(pki.client.key))).toBe(true);
  });

  it('other CA is unrelated', () => {
    expect(pki.otherCa).toBeDefined();
    expect(pki.otherClient).toBeDefined();
    const otherClient = new X509Certificate(pki.otherClient?.cert ?? '');
    expect(otherClient.checkIssued(ca)).toBe(false);
    expect(otherClient.verify(ca.publicKey)).toBe(false);
    expect(otherClient.verify(new X509Certificate(pki.otherCa?.cert ?? '').publicKey)).toBe(true);
  });

  it('omits other CA by default', () => {
    const plain = createTestPki();
    expect(plain.otherCa).toBeUndefined();
    expect(plain.otherClient).toBeUndefined();
  });

  it('clientTlsOptions picks the identity', () => {
    expect(clientTlsOptions(pki)).toEqual({ ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key });
    expect(clientTlsOptions(pki, 'none')).toEqual({ ca: pki.ca.cert });
    expect(clientTlsOptions(pki, 'otherClient').cert).toBe(pki.otherClient?.cert);
    expect(() => clientTlsOptions(createTestPki(), 'otherClient')).toThrow(RangeError);
  });

  it('rejects non-positive validity', () => {
    expect(() => createTestPki({ validDays: 0 })).toThrow(RangeError);
  });
});

describe('writeTestPki', () => {
  let files: TestPkiFiles | undefined;
  afterAll(async () => {
    if (files !== undefined) {
      await rm(files.dir, { recursive: true, force: true });
    }
  });

  it('writes keys with mode 0600', async () => {
    const pki = createTestPki({ otherCa: true });
    files = await writeTestPki(pki);
    for (const keyFile of [files.serverKeyFile, files.clientKeyFile, files.otherClientKeyFile ?? '']) {
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    }
    expect((await stat(files.caFile)).mode & 0o777).toBe(0o644);
    expect(await readFile(files.serverCertFile, 'utf8')).toBe(pki.server.cert);
    expect(await readFile(files.clientKeyFile, 'utf8')).toBe(pki.client.key);
  });
});
