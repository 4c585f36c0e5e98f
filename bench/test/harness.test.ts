import { nodeProvider } from '@mqtt-e2ee/envelope/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBroker, type BenchBroker } from '../src/broker.js';
import { Flow, type FlowOptions, type FlowSink, type Link } from '../src/flow.js';
import { measureEpochs } from '../src/epochs.js';
import { busyPlaintextLink, directClientLink, envelopeCost, plaintextLink } from '../src/links.js';
import { PayloadSource } from '../src/payloads.js';
import { runOnce } from '../src/throughput.js';

const flow: FlowOptions = { messages: 300, window: 16, payloadBytes: 1024, idleTimeoutMs: 2000, graceMs: 20 };

/**
 * In-memory link whose `deliver` decides what the subscriber gets for each sent payload, so the
 * counting can be checked against known loss, duplication and corruption.
 */
function memoryLink(sink: FlowSink, deliver: (payload: Uint8Array, index: number) => Uint8Array[]): Link {
  let index = 0;
  return {
    send(payload) {
      const copies = deliver(payload, index++);
      setImmediate(() => copies.forEach((copy) => sink.receive(copy)));
    },
    drain: async () => undefined,
    close: async () => undefined,
  };
}

async function runMemory(deliver: (payload: Uint8Array, index: number) => Uint8Array[]) {
  const counter = new Flow({ ...flow, messages: 50, idleTimeoutMs: 100 });
  return counter.run(memoryLink(counter, deliver));
}

describe('flow counting', () => {
  it('clean link counts everything', async () => {
    const result = await runMemory((payload) => [payload]);
    expect(result.received).toBe(50);
    expect(result.lost).toBe(0);
    expect(result.duplicated).toBe(0);
    expect(result.corrupted).toBe(0);
  });

  it('charges the CPU time of the run to its messages', async () => {
    // Each delivery burns about 0.2 ms of CPU, so 50 messages must show at least 100 us each.
    const result = await runMemory((payload) => {
      const until = process.hrtime.bigint() + 200_000n;
      while (process.hrtime.bigint() < until);
      return [payload];
    });
    expect(result.cpuUsPerMsg).toBeGreaterThan(100);
    expect(result.cpuUsPerMsg).toBeLessThan(100_000);
  });

  it('detects a dropped message', async () => {
    const result = await runMemory((payload, index) => (index === 7 ? [] : [payload]));
    expect(result.lost).toBe(1);
    expect(result.received).toBe(49);
  });

  it('detects a duplicated message', async () => {
    const result = await runMemory((payload, index) => (index === 3 ? [payload, payload] : [payload]));
    expect(result.duplicated).toBe(1);
    expect(result.lost).toBe(0);
  });

  it('detects a changed payload byte', async () => {
    const result = await runMemory((payload, index) => {
      if (index !== 5) return [payload];
      const changed = Uint8Array.from(payload);
      changed[100] = (changed[100] as number) ^ 0x01;
      return [changed];
    });
    expect(result.corrupted).toBe(1);
    expect(result.lost).toBe(1);
  });
});

describe('payload source', () => {
  it('accepts its own payloads only', () => {
    const source = new PayloadSource(64);
    const other = new PayloadSource(64);
    expect(source.check(source.make(9))).toEqual({ ok: true, seq: 9 });
    expect(source.check(other.make(9)).ok).toBe(false);
    expect(source.check(source.make(9).subarray(0, 32))).toMatchObject({ ok: false, reason: 'length' });
  });
});

describe('harness through a broker', () => {
  let broker: BenchBroker;

  beforeAll(async () => {
    broker = await openBroker();
  });

  afterAll(async () => {
    await broker.stop();
  });

  for (const qos of [0, 1] as const) {
    it(`plaintext QoS ${qos} loses nothing`, async () => {
      const result = await runOnce(plaintextLink, broker.url, qos, 'test-plaintext', flow);
      expect(result.received).toBe(flow.messages);
      expect(result.lost).toBe(0);
      expect(result.duplicated).toBe(0);
      expect(result.corrupted).toBe(0);
      expect(result.failures).toBe(0);
    });

    it(`direct mode QoS ${qos} loses nothing`, async () => {
      const result = await runOnce(directClientLink(nodeProvider), broker.url, qos, 'test-direct', flow);
      expect(result.received).toBe(flow.messages);
      expect(result.lost).toBe(0);
      expect(result.duplicated).toBe(0);
      expect(result.corrupted).toBe(0);
      expect(result.failures).toBe(0);
    });
  }

  it('busy plaintext mode spends its loop on every message and loses nothing', async () => {
    // 50 us on each side is far above what 300 plaintext messages cost, so the CPU time shows it.
    const result = await runOnce(busyPlaintextLink(50_000, 50_000), broker.url, 0, 'test-busy', flow);
    expect(result.received).toBe(flow.messages);
    expect(result.lost + result.duplicated + result.corrupted + result.failures).toBe(0);
    expect(result.cpuUsPerMsg).toBeGreaterThan(100);
  });
});

describe('envelope calibration', () => {
  it('times one seal and one open of a 1 KiB payload', () => {
    const cost = envelopeCost(nodeProvider, 1024);
    expect(cost.sealNs).toBeGreaterThan(100);
    expect(cost.openNs).toBeGreaterThan(100);
    expect(cost.sealNs + cost.openNs).toBeLessThan(1_000_000);
  });
});

describe('group epoch setup', () => {
  it('times epoch start, key message and install', () => {
    const row = measureEpochs(nodeProvider, { sampleMs: 20, samples: 1, warmupMs: 5 });
    expect(row.provider).toBe('node');
    for (const value of [row.sender_epoch_us, row.key_message_per_member_us, row.member_install_us]) {
      expect(value).toBeGreaterThan(0.5);
      expect(value).toBeLessThan(100_000);
    }
  });
});
