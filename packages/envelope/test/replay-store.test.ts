import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DuplicateMessageError,
  EnvelopeOpener,
  EnvelopeSealer,
  generateKeyPair,
  MemoryReplayStore,
  ReplayError,
  ReplayWindow,
  type CryptoProvider,
  type ReplayStore,
} from '../src/index.js';
import { JsonFileReplayStore } from '../src/replay-file.js';
import { buildForChildProcesses } from './build.js';
import { providers, toHex, utf8 } from './helpers.js';

const directory = mkdtempSync(join(tmpdir(), 'mqtt-e2ee-replay-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let storeCount = 0;
const newStorePath = () => join(directory, `store-${storeCount++}.jsonl`);

function errorCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  return 'accepted';
}

function parties(provider: CryptoProvider, replayStore: ReplayStore, replayWindow = 16, maxSessions = 1024) {
  const alice = generateKeyPair(provider);
  const bob = generateKeyPair(provider);
  const sealer = new EnvelopeSealer({ identity: alice, provider });
  const openerFor = (store: ReplayStore) =>
    new EnvelopeOpener({ identities: [bob], resolveSender: () => [alice.publicKey], provider, replayWindow, replayStore: store, maxSessions });
  const sent = Array.from({ length: 40 }, (_, i) => sealer.seal('r/t', utf8(`m${i}`), bob.publicKey));
  return { alice, bob, sent, openerFor, opener: openerFor(replayStore) };
}

describe.each(providers)('replay state with $name', (provider) => {
  it('tells duplicates from old replays', () => {
    const { opener, sent } = parties(provider, new MemoryReplayStore());
    for (const i of [0, 1, 2, 10]) expect(errorCode(() => opener.open('r/t', sent[i]!))).toBe('accepted');
    expect(errorCode(() => opener.open('r/t', sent[2]!))).toBe('ERR_DUPLICATE');
    expect(errorCode(() => opener.open('r/t', sent[20]!))).toBe('accepted');
    // 20 - 2 >= 16, so seq 2 is outside the window now: a replay, no longer a duplicate.
    expect(errorCode(() => opener.open('r/t', sent[2]!))).toBe('ERR_REPLAY');
    expect(errorCode(() => opener.open('r/t', sent[5]!))).toBe('accepted');
    expect(errorCode(() => opener.open('r/t', sent[20]!))).toBe('ERR_DUPLICATE');
    expect(opener.stats).toEqual({ accepted: 6, duplicates: 2, replays: 1 });
  });

  it('tampered copy is no duplicate', () => {
    const { opener, sent } = parties(provider, new MemoryReplayStore());
    opener.open('r/t', sent[0]!);
    const tampered = sent[0]!.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(errorCode(() => opener.open('r/t', tampered))).toBe('ERR_DECRYPT');
    expect(errorCode(() => opener.open('r/other', sent[0]!))).toBe('ERR_DECRYPT');
    expect(errorCode(() => opener.open('r/t', sent[0]!))).toBe('ERR_DUPLICATE');
  });

  it('keeps rejecting after cache eviction', () => {
    const store = new MemoryReplayStore();
    const { alice, bob, opener, sent } = parties(provider, store, 16, 1);
    opener.open('r/t', sent[0]!);
    opener.open('r/t', sent[1]!);
    // A second sender pushes Alice's session out of the one-entry cache.
    const carol = generateKeyPair(provider);
    const other = new EnvelopeOpener({ identities: [bob], resolveSender: () => [alice.publicKey, carol.publicKey], provider, replayStore: store, maxSessions: 1 });
    other.open('r/t', sent[2]!);
    other.open('r/t', new EnvelopeSealer({ identity: carol, provider }).seal('r/t', utf8('c'), bob.publicKey));
    expect(errorCode(() => other.open('r/t', sent[1]!))).toBe('ERR_DUPLICATE');
    expect(errorCode(() => other.open('r/t', sent[3]!))).toBe('accepted');
    expect(store.size).toBe(2);
  });

  it('default store survives cache eviction', () => {
    const alice = generateKeyPair(provider);
    const carol = generateKeyPair(provider);
    const bob = generateKeyPair(provider);
    const opener = new EnvelopeOpener({ identities: [bob], resolveSender: () => [alice.publicKey, carol.publicKey], provider, maxSessions: 1 });
    const fromAlice = new EnvelopeSealer({ identity: alice, provider });
    const sent = Array.from({ length: 3 }, (_, i) => fromAlice.seal('r/t', utf8(`m${i}`), bob.publicKey));
    opener.open('r/t', sent[0]!);
    opener.open('r/t', sent[1]!);
    // Carol's session pushes Alice's out of the one-entry cache, so Alice's window must come back
    // from the opener's own store.
    opener.open('r/t', new EnvelopeSealer({ identity: carol, provider }).seal('r/t', utf8('c'), bob.publicKey));
    expect(errorCode(() => opener.open('r/t', sent[1]!))).toBe('ERR_DUPLICATE');
    expect(errorCode(() => opener.open('r/t', sent[0]!))).toBe('ERR_DUPLICATE');
    expect(errorCode(() => opener.open('r/t', sent[2]!))).toBe('accepted');
  });

  it('restores state from file store', () => {
    const path = newStorePath();
    const first = parties(provider, new JsonFileReplayStore({ path }));
    for (const i of [0, 1, 2, 3, 7]) first.opener.open('r/t', first.sent[i]!);
    const reopened = first.openerFor(new JsonFileReplayStore({ path }));
    expect(errorCode(() => reopened.open('r/t', first.sent[3]!))).toBe('ERR_DUPLICATE');
    expect(errorCode(() => reopened.open('r/t', first.sent[7]!))).toBe('ERR_DUPLICATE');
    // Seq 5 was never accepted and is inside the window, so it is still delivered once.
    expect(errorCode(() => reopened.open('r/t', first.sent[5]!))).toBe('accepted');
    expect(errorCode(() => reopened.open('r/t', first.sent[8]!))).toBe('accepted');
    expect(errorCode(() => reopened.open('r/t', first.sent[39]!))).toBe('accepted');
    expect(errorCode(() => reopened.open('r/t', first.sent[9]!))).toBe('ERR_REPLAY');
  });
});

describe('JsonFileReplayStore', () => {
  const snapshot = (top: bigint) => ({ top, size: 8, bitmap: Uint8Array.of(0b101) });

  it('drops a cut-off last line', () => {
    const path = newStorePath();
    const store = new JsonFileReplayStore({ path });
    store.save('a', snapshot(5n));
    store.save('b', snapshot(9n));
    store.close();
    appendFileSync(path, '{"k":"a","top":"7","si');
    const reopened = new JsonFileReplayStore({ path, sync: 'none' });
    expect(reopened.load('a')?.top).toBe(5n);
    expect(reopened.load('b')?.top).toBe(9n);
    expect(reopened.load('c')).toBeUndefined();
    // The reopened store rewrote the file without the broken line.
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('rejects corrupt middle line', () => {
    const path = newStorePath();
    writeFileSync(path, '{"format":"mqtt-e2ee-replay","version":1}\nnot json\n{"k":"a","top":"1","size":8,"bitmap":"01"}\n');
    expect(() => new JsonFileReplayStore({ path })).toThrow(/line 2 is not JSON/);
    writeFileSync(path, '{"format":"other"}\n');
    expect(() => new JsonFileReplayStore({ path })).toThrow(/not an mqtt-e2ee replay store/);
    writeFileSync(path, '{"format":"mqtt-e2ee-replay","version":1}\n{"k":"a","top":"x","size":8,"bitmap":"01"}\n{}\n');
    expect(() => new JsonFileReplayStore({ path })).toThrow(/line 2 is not a valid replay record/);
  });

  it('compacts and keeps newest records', () => {
    const path = newStorePath();
    const store = new JsonFileReplayStore({ path, maxSessions: 3, sync: 'none' });
    for (let i = 0; i < 2500; i++) store.save(`s${i % 5}`, snapshot(BigInt(i)));
    expect(store.size).toBe(3);
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean).length).toBeLessThan(1100);
    const reopened = new JsonFileReplayStore({ path, maxSessions: 3 });
    expect(reopened.load('s4')?.top).toBe(2499n);
    expect(reopened.load('s2')?.top).toBe(2497n);
    expect(reopened.load('s1')).toBeUndefined();
    expect(reopened.load('s4')?.bitmap).toEqual(Uint8Array.of(0b101));
  });

  it('validates options', () => {
    expect(() => new JsonFileReplayStore({ path: newStorePath(), sync: 'always' as 'none' })).toThrow(TypeError);
    expect(() => new JsonFileReplayStore({ path: 3 as unknown as string })).toThrow(TypeError);
    const store = new JsonFileReplayStore({ path: newStorePath() });
    store.close();
    expect(() => store.save('a', snapshot(1n))).toThrow(/closed/);
  });
});

describe('ReplayWindow snapshots', () => {
  it('restores into other sizes', () => {
    const window = new ReplayWindow(16);
    for (const seq of [100n, 98n, 90n, 85n]) window.accept(seq);
    const same = ReplayWindow.restore(window.snapshot());
    expect(['100', '98', '90', '85', '99'].map((s) => same.status(BigInt(s)))).toEqual(['seen', 'seen', 'seen', 'seen', 'new']);
    const smaller = ReplayWindow.restore(window.snapshot(), 4);
    expect([100n, 98n, 99n, 96n, 90n].map((s) => smaller.status(s))).toEqual(['seen', 'seen', 'new', 'too old', 'too old']);
    const larger = ReplayWindow.restore(window.snapshot(), 64);
    // 84 and below were outside the 16-wide window, so the larger window treats them as seen.
    expect([100n, 99n, 90n, 85n, 84n, 40n].map((s) => larger.status(s))).toEqual(['seen', 'new', 'seen', 'seen', 'seen', 'seen']);
    expect(larger.status(36n)).toBe('too old');
  });

  it('rejects malformed snapshots', () => {
    expect(() => ReplayWindow.restore({ top: 2n ** 64n, size: 8, bitmap: new Uint8Array(1) })).toThrow(RangeError);
    expect(() => ReplayWindow.restore({ top: 1n, size: 8, bitmap: new Uint8Array(2) })).toThrow(RangeError);
    expect(() => ReplayWindow.restore({ top: 1n, size: 0, bitmap: new Uint8Array(0) })).toThrow(RangeError);
  });
});

describe('receiver killed with SIGKILL', () => {
  const openLines = fileURLToPath(new URL('./fixtures/open-lines.mjs', import.meta.url));
  let buildUrl: URL;
  beforeAll(() => {
    buildUrl = buildForChildProcesses('replay-store');
  }, 120_000);

  function startReceiver(path: string, recipientHex: string, senderHex: string) {
    const child = spawn(process.execPath, [openLines, buildUrl.href, path, recipientHex, senderHex, '16'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines: Interface = createInterface({ input: child.stdout });
    const iterator = lines[Symbol.asyncIterator]();
    const send = async (envelope: Uint8Array) => {
      child.stdin.write(`r/t ${toHex(envelope)}\n`);
      const next = await iterator.next();
      return next.value as string;
    };
    return { child, send };
  }

  it('keeps state and accepts new messages', async () => {
    const { alice, bob, sent } = parties(providers[0]!, new MemoryReplayStore());
    const path = newStorePath();
    const first = startReceiver(path, toHex(bob.secretKey), toHex(alice.publicKey));
    for (const i of [0, 1, 2, 3, 4, 5]) expect(await first.send(sent[i]!)).toBe(`ok ${i} m${i}`);
    const killed = new Promise((resolve) => first.child.on('exit', (_code, signal) => resolve(signal)));
    first.child.kill('SIGKILL');
    expect(await killed).toBe('SIGKILL');

    const second = startReceiver(path, toHex(bob.secretKey), toHex(alice.publicKey));
    // Redeliveries of delivered messages are duplicates; the sender that keeps going is accepted.
    expect(await second.send(sent[5]!)).toBe('ERR_DUPLICATE');
    expect(await second.send(sent[0]!)).toBe('ERR_DUPLICATE');
    expect(await second.send(sent[6]!)).toBe('ok 6 m6');
    expect(await second.send(sent[30]!)).toBe('ok 30 m30');
    expect(await second.send(sent[7]!)).toBe('ERR_REPLAY');
    second.child.kill('SIGKILL');
  });
});

describe('duplicate error class', () => {
  it('extends ReplayError', () => {
    const error = new DuplicateMessageError(3n, 'abcd');
    expect(error).toBeInstanceOf(ReplayError);
    expect(error.code).toBe('ERR_DUPLICATE');
    expect(error.name).toBe('DuplicateMessageError');
    expect(new ReplayError(3n, 'duplicate').code).toBe('ERR_REPLAY');
  });
});
