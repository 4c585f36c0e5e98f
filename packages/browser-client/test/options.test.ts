import { generateKeyPair } from '@mqtt-e2ee/envelope';
import { describe, expect, it } from 'vitest';
import { frameBytes } from '../src/transport.js';
import { checkBrokerUrl, resolveBrowserOptions } from '../src/options.js';
import { InvalidOptionError, OptionRangeError, UnsupportedOptionError } from '../src/index.js';

const identity = generateKeyPair();
/** A stand-in constructor, because Node.js 20 has no global WebSocket. */
const webSocket = class {} as unknown as typeof WebSocket;

function failure(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure, but the call succeeded');
}

describe('Node-only options', () => {
  it.each([
    'ca',
    'cert',
    'key',
    'pfx',
    'passphrase',
    'rejectUnauthorized',
    'servername',
    'ALPNProtocols',
    'minVersion',
    'wsOptions',
    'unixSocket',
  ])('mqtt.%s rejected', (name) => {
    const error = failure(() =>
      resolveBrowserOptions({ identity, webSocket, mqtt: { [name]: 'x' } }),
    );
    expect(error).toBeInstanceOf(UnsupportedOptionError);
    expect((error as UnsupportedOptionError).code).toBe('ERR_UNSUPPORTED_OPTION');
    expect((error as UnsupportedOptionError).option).toBe(`opts.mqtt.${name}`);
    expect((error as Error).message).toContain('Remove it');
  });

  it('rejectUnauthorized true rejected too', () => {
    const error = failure(() =>
      resolveBrowserOptions({ identity, webSocket, mqtt: { rejectUnauthorized: true } }),
    );
    expect(error).toBeInstanceOf(UnsupportedOptionError);
  });

  it('tls files rejected', () => {
    const error = failure(() =>
      resolveBrowserOptions({ identity, webSocket, tls: { caFile: 'ca.pem' } }),
    );
    expect((error as UnsupportedOptionError).option).toBe('opts.tls');
  });

  it('createWebsocket points to webSocket', () => {
    const error = failure(() =>
      resolveBrowserOptions({ identity, webSocket, mqtt: { createWebsocket: () => undefined } }),
    );
    expect(error).toBeInstanceOf(OptionRangeError);
    expect((error as Error).message).toContain('opts.webSocket');
  });

  it('browser options pass through', () => {
    const resolved = resolveBrowserOptions({
      identity,
      webSocket,
      mqtt: { clientId: 'page-1', protocolVersion: 5, keepalive: 30 },
      maxMessageBytes: 1024,
    });
    expect(resolved.mqtt).toEqual({ clientId: 'page-1', protocolVersion: 5, keepalive: 30 });
    expect(resolved.settings.maxMessageBytes).toBe(1024);
    expect(resolved.webSocket).toBe(webSocket);
  });

  it('missing WebSocket named', () => {
    const error = failure(() => resolveBrowserOptions({ identity }));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('opts.webSocket');
  });
});

describe('checkBrokerUrl', () => {
  it.each(['mqtt://127.0.0.1:1883', 'mqtts://broker:8883', 'http://127.0.0.1/'])(
    '%s rejected',
    (url) => {
      const error = failure(() => checkBrokerUrl(url));
      expect(error).toBeInstanceOf(OptionRangeError);
      expect((error as OptionRangeError).option).toBe('brokerUrl');
    },
  );

  it('credentials removed for messages', () => {
    expect(checkBrokerUrl('wss://user:secret@broker.example:8884/mqtt')).toBe(
      'wss://broker.example:8884/mqtt',
    );
  });
});

describe('frameBytes', () => {
  const backing = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

  it('view copies only its range', async () => {
    const buffer = await frameBytes(backing.subarray(5, 9));
    expect(Array.from(new Uint8Array(buffer))).toEqual([6, 7, 8, 9]);
  });

  it('DataView copies only its range', async () => {
    const buffer = await frameBytes(new DataView(backing.buffer, 30, 2));
    expect(Array.from(new Uint8Array(buffer))).toEqual([31, 32]);
  });

  it('Blob read in full', async () => {
    const buffer = await frameBytes(new Blob([backing.subarray(0, 2), backing.subarray(10, 12)]));
    expect(Array.from(new Uint8Array(buffer))).toEqual([1, 2, 11, 12]);
  });

  it('text frame as UTF-8', async () => {
    expect(Array.from(new Uint8Array(await frameBytes('ü')))).toEqual([0xc3, 0xbc]);
  });

  it('unknown data rejected', async () => {
    await expect(frameBytes(42)).rejects.toBeInstanceOf(TypeError);
  });
});

describe('replayStateDatabase option', () => {
  it('name passed through', () => {
    const resolved = resolveBrowserOptions({ identity, webSocket, replayStateDatabase: 'replay' });
    expect(resolved.replayStateDatabase).toBe('replay');
    expect(resolveBrowserOptions({ identity, webSocket }).replayStateDatabase).toBeUndefined();
  });

  it('non-string rejected', () => {
    const error = failure(() =>
      resolveBrowserOptions({ identity, webSocket, replayStateDatabase: 5 as never }),
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('opts.replayStateDatabase');
  });

  it('conflicts with replayStore', () => {
    const replayStore = { load: () => undefined, save: () => undefined };
    const error = failure(() =>
      resolveBrowserOptions({ identity, webSocket, replayStore, replayStateDatabase: 'replay' }),
    );
    expect(error).toBeInstanceOf(OptionRangeError);
    expect((error as OptionRangeError).option).toBe('opts.replayStateDatabase');
  });
});
