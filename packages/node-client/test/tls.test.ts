import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@mqtt-e2ee/envelope';
import {
  mosquittoAvailable,
  startAedes,
  startMosquitto,
  writeTestPki,
  type RunningAedes,
  type RunningMosquitto,
  type TestPki,
  type TestPkiFiles,
} from '@mqtt-e2ee/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError, connectE2ee, OptionFileError, type E2eeClient } from '../src/index.js';
import { Inbox, uniquePrefix } from './helpers.js';

const alice = generateKeyPair();
const bob = generateKeyPair();

/** Connects alice and bob with the same MQTT options, sends one message and returns its text. */
async function roundTrip(
  url: string,
  options: Parameters<typeof connectE2ee>[1]['mqtt'],
  tls?: object,
): Promise<string> {
  const topic = `${uniquePrefix('tls')}/greeting`;
  const clients: E2eeClient[] = [];
  try {
    const sender = await connectE2ee(url, {
      identity: alice,
      peers: [bob.publicKey],
      mqtt: { ...options },
      ...(tls ? { tls } : {}),
    });
    clients.push(sender);
    const receiver = await connectE2ee(url, {
      identity: bob,
      peers: [alice.publicKey],
      mqtt: { ...options },
      ...(tls ? { tls } : {}),
    });
    clients.push(receiver);
    const inbox = new Inbox(receiver);
    await receiver.subscribe(topic, { qos: 1 });
    await sender.publish(topic, 'over TLS', { to: bob.publicKey, qos: 1 });
    const message = await inbox.message(topic);
    return Buffer.from(message.payload).toString('utf8');
  } finally {
    await Promise.allSettled(clients.map((client) => client.end()));
  }
}

function pkiOf(broker: RunningAedes): TestPki {
  if (broker.pki === undefined) throw new Error('startAedes({ tls: true }) returned no PKI');
  return broker.pki;
}

describe('TLS to embedded Aedes', () => {
  let broker: RunningAedes;
  let files: TestPkiFiles;

  beforeAll(async () => {
    broker = await startAedes({ tls: true });
    files = await writeTestPki(pkiOf(broker), await mkdtemp(join(tmpdir(), 'node-client-tls-')));
  });

  afterAll(async () => {
    await broker?.stop();
    if (files !== undefined) await rm(files.dir, { recursive: true, force: true });
  });

  it('round trips with CA in memory', async () => {
    const text = await roundTrip(broker.url, { ca: pkiOf(broker).ca.cert, reconnectPeriod: 0 });
    expect(text).toBe('over TLS');
  });

  it('round trips with tls.caFile', async () => {
    const text = await roundTrip(broker.url, { reconnectPeriod: 0 }, { caFile: files.caFile });
    expect(text).toBe('over TLS');
  });

  it('unknown server CA rejected', async () => {
    const attempt = connectE2ee(broker.url, {
      identity: alice,
      mqtt: { ca: pkiOf(broker).otherCa?.cert ?? 'missing other CA', reconnectPeriod: 0 },
    });
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe('ERR_CONNECT');
    expect((error as ConnectError).cause).toBeInstanceOf(Error);
  });

  it('missing caFile names the path', async () => {
    const path = join(files.dir, 'does-not-exist.pem');
    const error = await connectE2ee(broker.url, { identity: alice, tls: { caFile: path } }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OptionFileError);
    expect((error as OptionFileError).code).toBe('ERR_OPTION_FILE');
    expect((error as OptionFileError).option).toBe('opts.tls.caFile');
    expect((error as OptionFileError).message).toContain(path);
    expect((error as OptionFileError).message).toContain('ENOENT');
  });
});

const mosquittoSkip = mosquittoAvailable()
  ? undefined
  : 'the mosquitto binary is not installed (apt-get install mosquitto, or set MOSQUITTO_BIN)';
if (mosquittoSkip !== undefined && process.env['REQUIRE_MOSQUITTO'] === '1') {
  throw new Error(`REQUIRE_MOSQUITTO=1 but ${mosquittoSkip}`);
}

describe.skipIf(mosquittoSkip !== undefined)(
  `mutual TLS to Mosquitto${mosquittoSkip ? ` (skipped: ${mosquittoSkip})` : ''}`,
  () => {
    let broker: RunningMosquitto;
    let files: TestPkiFiles;

    beforeAll(async () => {
      broker = await startMosquitto({ tls: true, requireCertificate: true });
      if (broker.pkiFiles === undefined)
        throw new Error('startMosquitto({ tls: true }) returned no PKI files');
      files = broker.pkiFiles;
    });

    afterAll(async () => {
      await broker?.stop();
    });

    it('client certificate round trips', async () => {
      const tls = {
        caFile: files.caFile,
        certFile: files.clientCertFile,
        keyFile: files.clientKeyFile,
      };
      const text = await roundTrip(broker.url, { protocolVersion: 5, reconnectPeriod: 0 }, tls);
      expect(text).toBe('over TLS');
    });

    it('client without certificate rejected', async () => {
      const error = await connectE2ee(broker.url, {
        identity: alice,
        tls: { caFile: files.caFile },
        mqtt: { reconnectPeriod: 0, connectTimeout: 5000 },
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe('ERR_CONNECT');
      expect((error as ConnectError).cause).toBeDefined();
    });

    it('certificate from other CA rejected', async () => {
      const { otherClientCertFile, otherClientKeyFile } = files;
      if (otherClientCertFile === undefined || otherClientKeyFile === undefined) {
        throw new Error('the testkit PKI has no client of the other CA');
      }
      const error = await connectE2ee(broker.url, {
        identity: alice,
        tls: { caFile: files.caFile, certFile: otherClientCertFile, keyFile: otherClientKeyFile },
        // The default reconnectPeriod stays on, because the first failure must reject even
        // when MQTT.js would retry.
        mqtt: { connectTimeout: 5000 },
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).cause).toBeDefined();
    });
  },
);
