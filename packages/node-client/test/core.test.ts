import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair } from '@mqtt-e2ee/envelope';
import { startAedes } from '@mqtt-e2ee/testkit';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { connectE2eeWith, publishPacketSize, TypedEmitter } from '../src/core/index.js';

const coreDir = join(import.meta.dirname, '../src/core');

/** Returns every module specifier that a TypeScript source imports or re-exports. */
function importsOf(source: string): string[] {
  const pattern = /(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\s+'([^']+)'|import\('([^']+)'\)/g;
  return [...source.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? match[3] ?? '');
}

describe('core boundary', () => {
  it('imports only portable modules', async () => {
    const files = (await readdir(coreDir)).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const source = await readFile(join(coreDir, file), 'utf8');
      for (const specifier of importsOf(source)) {
        const portable =
          specifier.startsWith('./') ||
          specifier === '@mqtt-e2ee/envelope' ||
          specifier === '@mqtt-e2ee/key-exchange' ||
          (specifier === 'mqtt' && /import type [^;]*from 'mqtt'/.test(source));
        expect(portable, `${file} imports ${specifier}`).toBe(true);
      }
      expect(source, `${file} uses Buffer`).not.toMatch(/\bBuffer\.|\bprocess\./);
    }
  });

  it('value imports of mqtt absent', async () => {
    const files = (await readdir(coreDir)).filter((name) => name.endsWith('.ts'));
    for (const file of files) {
      const source = await readFile(join(coreDir, file), 'utf8');
      expect(source, file).not.toMatch(/^import \{[^}]*\} from 'mqtt'/m);
    }
  });
});

describe('TypedEmitter', () => {
  type Events = { ping: [value: number]; done: [] };

  it('once runs a single time', () => {
    const emitter = new TypedEmitter<Events>();
    const seen: number[] = [];
    emitter.once('ping', (value) => seen.push(value));
    expect(emitter.emit('ping', 1)).toBe(true);
    expect(emitter.emit('ping', 2)).toBe(false);
    expect(seen).toEqual([1]);
  });

  it('off removes once listener', () => {
    const emitter = new TypedEmitter<Events>();
    const listener = (): void => {
      throw new Error('removed listener ran');
    };
    emitter.once('done', listener);
    emitter.off('done', listener);
    expect(emitter.listenerCount('done')).toBe(0);
    expect(emitter.emit('done')).toBe(false);
  });

  it('listeners run in order', () => {
    const emitter = new TypedEmitter<Events>();
    const order: string[] = [];
    emitter.on('ping', () => order.push('a'));
    emitter.on('ping', () => {
      order.push('b');
      emitter.on('ping', () => order.push('late'));
    });
    emitter.emit('ping', 0);
    expect(order).toEqual(['a', 'b']);
    emitter.removeAllListeners('ping');
    expect(emitter.listenerCount('ping')).toBe(0);
  });
});

describe('publishPacketSize', () => {
  it.each([
    // Fixed header 1 + length 1 + topic 2+1 + property length 1 + payload 10.
    ['t', 10, 0, 16],
    // The same with a packet identifier.
    ['t', 10, 1, 18],
    // Remaining Length 128 needs two bytes: 2+1+2+1+122 = 128.
    ['t', 122, 1, 131],
    // Topic length counts UTF-8 bytes: 'ü' is two.
    ['ü', 0, 0, 7],
  ] as const)('%s with %i bytes at QoS %i', (topic, payload, qos, expected) => {
    expect(publishPacketSize(topic, payload, qos)).toBe(expected);
  });
});

describe('default wire conversion', () => {
  it('publishes unshared envelope arrays', async () => {
    const broker = await startAedes();
    const alice = generateKeyPair();
    const bob = generateKeyPair();
    const client = await connectE2eeWith(() => mqtt.connect(broker.url, { reconnectPeriod: 0 }), {
      identity: alice,
      peers: [bob.publicKey],
    });
    try {
      const sent: Uint8Array[] = [];
      client.mqtt.on('packetsend', (packet) => {
        if (packet.cmd === 'publish') sent.push(packet.payload as Uint8Array);
      });
      for (let i = 0; i < 3; i++) await client.publish('wire/check', `message ${i}`, { to: bob.publicKey, qos: 1 });
      expect(sent).toHaveLength(3);
      for (const payload of sent) {
        // A view into a shared block would make MQTT.js copy the whole block for its QoS 1 store.
        expect(payload.byteOffset).toBe(0);
        expect(payload.byteLength).toBe(payload.buffer.byteLength);
        expect(payload.byteLength).toBe(76 + 'message 0'.length);
      }
    } finally {
      await client.end(true);
      await broker.stop();
    }
  });
});
