import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

/** A certificate and its private key, both PEM encoded. */
export interface CertificateAndKey {
  readonly cert: string;
  readonly key: string;
}

/**
 * Throwaway PKI for tests: a CA, a server certificate for localhost, 127.0.0.1 and ::1,
 * a client certificate from the same CA and, on request, an unrelated CA with its own client.
 */
export interface TestPki {
  readonly ca: CertificateAndKey;
  readonly server: CertificateAndKey;
  readonly client: CertificateAndKey;
  readonly otherCa?: CertificateAndKey;
  readonly otherClient?: CertificateAndKey;
}

/** Paths of the PEM files written by writeTestPki. */
export interface TestPkiFiles {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly otherCaFile?: string;
  readonly otherClientCertFile?: string;
  readonly otherClientKeyFile?: string;
}

export interface TestPkiOptions {
  /** Also create an unrelated CA and a client certificate signed by it. Default false. */
  readonly otherCa?: boolean;
  /** Validity of every certificate in days, counted from one hour ago. Default 2. */
  readonly validDays?: number;
}

interface Issuer {
  readonly cert: forge.pki.Certificate;
  readonly key: forge.pki.rsa.PrivateKey;
}

type Role = 'ca' | 'server' | 'client';

const HOUR_MS = 3_600_000;

/** Creates an RSA-2048 key with node:crypto's native generator and converts it to a forge key. */
function newRsaKey(): { publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { publicKey, privateKey: forgeKey };
}

/** Returns 16 random bytes as hex with the top bit clear, so the serial is a positive INTEGER (RFC 5280, 4.1.2.2). */
function newSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function extensionsFor(role: Role): object[] {
  if (role === 'ca') {
    return [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ];
  }
  const common = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (role === 'client') {
    return [...common, { name: 'extKeyUsage', clientAuth: true }];
  }
  const altNames = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ];
  return [...common, { name: 'extKeyUsage', serverAuth: true }, { name: 'subjectAltName', altNames }];
}

/** Issues a certificate for a new key. Without an issuer the certificate is self-signed. */
function issue(role: Role, commonName: string, validDays: number, issuer?: Issuer): Issuer {
  const keys = newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = newSerialHex();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - HOUR_MS);
  cert.validity.notAfter = new Date(now + validDays * 24 * HOUR_MS);
  cert.setSubject([
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'mqtt-e2ee test' },
  ]);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : cert.subject.attributes);
  const extensions = extensionsFor(role);
  const authorityKeyId = (issuer ?? { cert }).cert.generateSubjectKeyIdentifier().getBytes();
  extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId });
  cert.setExtensions(extensions);
  cert.sign(issuer ? issuer.key : keys.privateKey, forge.md.sha256.create());
  return { cert, key: keys.privateKey };
}

function toPem(issued: Issuer): CertificateAndKey {
  const keyInfo = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(issued.key));
  return { cert: forge.pki.certificateToPem(issued.cert), key: forge.pki.privateKeyInfoToPem(keyInfo) };
}

/** Creates a throwaway CA, server and client certificates (RSA-2048, SHA-256) for loopback tests. */
export function createTestPki(options: TestPkiOptions = {}): TestPki {
  const validDays = options.validDays ?? 2;
  if (!Number.isFinite(validDays) || validDays <= 0) {
    throw new RangeError(`validDays: expected a positive number, got ${String(validDays)}`);
  }
  const tag = randomBytes(4).toString('hex');
  const ca = issue('ca', `mqtt-e2ee test CA ${tag}`, validDays);
  const server = issue('server', 'localhost', validDays, ca);
  const client = issue('client', `mqtt-e2ee test client ${tag}`, validDays, ca);
  const pki: TestPki = { ca: toPem(ca), server: toPem(server), client: toPem(client) };
  if (options.otherCa !== true) {
    return pki;
  }
  const otherCa = issue('ca', `mqtt-e2ee unrelated CA ${tag}`, validDays);
  const otherClient = issue('client', `mqtt-e2ee unrelated client ${tag}`, validDays, otherCa);
  return { ...pki, otherCa: toPem(otherCa), otherClient: toPem(otherClient) };
}

async function writePem(path: string, pem: string, mode: number): Promise<string> {
  await writeFile(path, pem, { mode });
  // The mode passed to writeFile is reduced by the umask, so set it explicitly.
  await chmod(path, mode);
  return path;
}

/**
 * Writes the PKI as PEM files into `dir` (default: a new directory under the OS temp dir).
 * Private keys get mode 0600 and certificates 0644.
 */
export async function writeTestPki(pki: TestPki, dir?: string): Promise<TestPkiFiles> {
  const target = dir ?? (await mkdtemp(join(tmpdir(), 'mqtt-e2ee-pki-')));
  const files = {
    dir: target,
    caFile: await writePem(join(target, 'ca.crt'), pki.ca.cert, 0o644),
    serverCertFile: await writePem(join(target, 'server.crt'), pki.server.cert, 0o644),
    serverKeyFile: await writePem(join(target, 'server.key'), pki.server.key, 0o600),
    clientCertFile: await writePem(join(target, 'client.crt'), pki.client.cert, 0o644),
    clientKeyFile: await writePem(join(target, 'client.key'), pki.client.key, 0o600),
  };
  if (pki.otherCa === undefined || pki.otherClient === undefined) {
    return files;
  }
  return {
    ...files,
    otherCaFile: await writePem(join(target, 'other-ca.crt'), pki.otherCa.cert, 0o644),
    otherClientCertFile: await writePem(join(target, 'other-client.crt'), pki.otherClient.cert, 0o644),
    otherClientKeyFile: await writePem(join(target, 'other-client.key'), pki.otherClient.key, 0o600),
  };
}

/** TLS options for an MQTT.js or node:tls client: the CA, plus a certificate and key unless `which` is 'none'. */
export interface TlsClientOptions {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

/**
 * Returns client TLS options that trust the test CA and present the client certificate
 * ('client'), the certificate from the unrelated CA ('otherClient') or no certificate ('none').
 */
export function clientTlsOptions(
  pki: TestPki,
  which: 'client' | 'otherClient' | 'none' = 'client',
): TlsClientOptions {
  if (which === 'none') {
    return { ca: pki.ca.cert };
  }
  const identity = pki[which];
  if (identity === undefined) {
    throw new RangeError(
      'clientTlsOptions: this PKI has no otherClient; create it with createTestPki({ otherCa: true })',
    );
  }
  return { ca: pki.ca.cert, cert: identity.cert, key: identity.key };
}
