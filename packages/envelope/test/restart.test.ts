import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authDecap,
  computeNonce,
  EnvelopeOpener,
  generateKeyPair,
  keySchedule,
  MODE_AUTH,
  nobleProvider,
  parseHeader,
  type KeyPair,
} from '../src/index.js';
import { buildForChildProcesses } from './build.js';
import { toHex, utf8 } from './helpers.js';

const sealForever = fileURLToPath(new URL('./fixtures/seal-forever.mjs', import.meta.url));
let buildUrl: URL;

beforeAll(() => {
  buildUrl = buildForChildProcesses('restart');
}, 120_000);

/** Runs the sealing child until it printed `count` envelopes, then kills it with SIGKILL. */
async function runUntilKilled(sender: KeyPair, recipient: KeyPair, count: number): Promise<Uint8Array[]> {
  const args = [sealForever, buildUrl.href, toHex(sender.secretKey), toHex(recipient.publicKey), '7'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const envelopes: Uint8Array[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  for await (const line of createInterface({ input: child.stdout })) {
    envelopes.push(Uint8Array.from(Buffer.from(line, 'hex')));
    if (envelopes.length === count) child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  // Lines written before the kill may still arrive after the count was reached.
  return envelopes.slice(0, count);
}

/** Derives the AEAD key and nonce of an envelope from the recipient side (RFC 9180 sections 4.1, 5.1, 5.2). */
function keyAndNonce(envelope: Uint8Array, recipient: KeyPair, sender: KeyPair): string {
  const header = parseHeader(envelope);
  const sharedSecret = authDecap(nobleProvider, header.enc, recipient.secretKey, sender.publicKey);
  const { key, baseNonce } = keySchedule(nobleProvider, MODE_AUTH, sharedSecret, utf8('mqtt-e2ee/v1 direct'));
  return `${toHex(key)}/${toHex(computeNonce(baseNonce, header.seq))}`;
}

describe('sender killed with SIGKILL', () => {
  it('never reuses key and nonce', async () => {
    const sender = generateKeyPair();
    const recipient = generateKeyPair();
    const runs = [];
    for (let run = 0; run < 3; run++) runs.push(await runUntilKilled(sender, recipient, 40));
    const all = runs.flat();
    expect(all).toHaveLength(120);

    // Each restart starts over at seq 0, as the sealer keeps no state on disk.
    for (const envelopes of runs) expect(parseHeader(envelopes[0]!).seq).toBe(0n);
    const pairs = new Set(all.map((envelope) => keyAndNonce(envelope, recipient, sender)));
    expect(pairs.size).toBe(all.length);
    // Every run has its own sessions: no enc appears in two runs.
    const encsPerRun = runs.map((envelopes) => new Set(envelopes.map((e) => toHex(parseHeader(e).enc))));
    expect(encsPerRun.map((encs) => encs.size)).toEqual([6, 6, 6]);
    const allEncs = new Set(encsPerRun.flatMap((encs) => [...encs]));
    expect(allEncs.size).toBe(18);

    // The receiver accepts all of them, because reused seq numbers belong to new sessions.
    const opener = new EnvelopeOpener({ identities: [recipient], resolveSender: () => [sender.publicKey] });
    const texts = all.map((envelope) => new TextDecoder().decode(opener.open('plant/restart', envelope).plaintext));
    expect(texts.slice(40, 43)).toEqual(['message 0', 'message 1', 'message 2']);
  });
});
