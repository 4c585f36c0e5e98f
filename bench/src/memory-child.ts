/**
 * Child process of the memory benchmark, started with --expose-gc: builds a receiver that caches
 * `count` sessions from `count` different senders, and a sender that keeps `count` recipient
 * sessions, and prints the heap growth per session as JSON on stdout.
 */
import {
  EnvelopeOpener,
  EnvelopeSealer,
  generateKeyPair,
  keyIdHex,
  type CryptoProvider,
  type KeyPair,
} from '@mqtt-e2ee/envelope';
import { loadProviders } from './providers.js';

const TOPIC = 'bench/memory';

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('memory-child needs --expose-gc');
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

function receiverBytes(provider: CryptoProvider, count: number): number {
  const recipient = generateKeyPair(provider);
  const senders = new Map<string, Uint8Array>();
  const firsts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const identity = generateKeyPair(provider);
    senders.set(keyIdHex(identity.publicKey), identity.publicKey);
    const sealer = new EnvelopeSealer({ identity, provider });
    // A copy, so that the envelopes do not keep each sealer's pool block alive.
    firsts.push(sealer.seal(TOPIC, new Uint8Array(64), recipient.publicKey).slice());
  }
  const opener = new EnvelopeOpener({
    identities: [recipient],
    resolveSender: (keyId) => {
      const key = senders.get(Buffer.from(keyId).toString('hex'));
      return key === undefined ? [] : [key];
    },
    provider,
    maxSessions: count,
  });
  const before = collect();
  for (const envelope of firsts) opener.open(TOPIC, envelope);
  const after = collect();
  // Keeps the opener reachable until after the second measurement.
  if (opener.isForMe(new Uint8Array(0))) throw new Error('unreachable');
  return (after - before) / count;
}

function senderBytes(provider: CryptoProvider, count: number): number {
  const identity: KeyPair = generateKeyPair(provider);
  const recipients = Array.from({ length: count }, () => generateKeyPair(provider).publicKey);
  const sealer = new EnvelopeSealer({ identity, provider, maxSessions: count });
  const message = new Uint8Array(64);
  const before = collect();
  for (const recipient of recipients) sealer.seal(TOPIC, message, recipient);
  const after = collect();
  if (sealer.publicKey.length !== 32) throw new Error('unreachable');
  return (after - before) / count;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? '10000');
  const { fastest } = await loadProviders();
  const receiver = receiverBytes(fastest, count);
  const sender = senderBytes(fastest, count);
  process.stdout.write(
    `${JSON.stringify({ provider: fastest.name, sessions: count, receiver_bytes_per_session: receiver, sender_bytes_per_session: sender })}\n`,
  );
}

await main();
