import { defineProvider, generateKeyPair, nobleProvider } from '@mqtt-e2ee/envelope';
import { startAedes, type RunningAedes } from '@mqtt-e2ee/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectE2ee } from '../src/index.js';
import { uniquePrefix } from './helpers.js';

// fastestProvider() is replaced by one that counts its calls and seals, so the test can tell
// which provider the client picked without options.
const picked = vi.hoisted(() => ({ calls: 0, seals: 0 }));

vi.mock('@mqtt-e2ee/envelope/node', async (importOriginal) => {
  const original = await importOriginal<typeof import('@mqtt-e2ee/envelope/node')>();
  const { defineProvider: define, nobleProvider: noble } = await import('@mqtt-e2ee/envelope');
  const counting = define('counting-fastest', {
    ...noble,
    aeadSeal: (key, nonce, aad, plaintext) => {
      picked.seals++;
      return noble.aeadSeal(key, nonce, aad, plaintext);
    },
  });
  return {
    ...original,
    fastestProvider: () => {
      picked.calls++;
      return counting;
    },
  };
});

const alice = generateKeyPair();
const bob = generateKeyPair();
let broker: RunningAedes;

beforeAll(async () => {
  broker = await startAedes();
});

afterAll(async () => {
  await broker?.stop();
});

describe('default provider', () => {
  it('fastestProvider used without option', async () => {
    const client = await connectE2ee(broker.url, { identity: alice, mqtt: { reconnectPeriod: 0 } });
    try {
      const callsAtConnect = picked.calls;
      const sealsBefore = picked.seals;
      await client.publish(`${uniquePrefix('default-provider')}/t`, 'x', { to: bob.publicKey, qos: 1 });
      expect(callsAtConnect).toBeGreaterThan(0);
      expect(picked.seals).toBe(sealsBefore + 1);
    } finally {
      await client.end(true);
    }
  });

  it('explicit provider overrides it', async () => {
    let seals = 0;
    const own = defineProvider('own', {
      ...nobleProvider,
      aeadSeal: (key, nonce, aad, plaintext) => {
        seals++;
        return nobleProvider.aeadSeal(key, nonce, aad, plaintext);
      },
    });
    const callsBefore = picked.calls;
    const sealsBefore = picked.seals;
    const client = await connectE2ee(broker.url, {
      identity: alice,
      provider: own,
      mqtt: { reconnectPeriod: 0 },
    });
    try {
      await client.publish(`${uniquePrefix('own-provider')}/t`, 'x', { to: bob.publicKey, qos: 1 });
      expect(seals).toBe(1);
      expect(picked.seals).toBe(sealsBefore);
      expect(picked.calls).toBe(callsBefore);
    } finally {
      await client.end(true);
    }
  });
});
