/**
 * Cost of opening a session: the X25519 calls alone, a sender's first message to a recipient
 * (SetupAuthS, two X25519 and a key generation) and a receiver's first message of a session
 * (SetupAuthR, two X25519). Together they are the cost of HPKE single-shot, one setup per message.
 */
import { EnvelopeOpener, EnvelopeSealer, generateKeyPair } from '@mqtt-e2ee/envelope';
import { CRYPTO_TOPIC } from './crypto.js';
import type { ProviderEntry } from './providers.js';
import { measureRate, type RateOptions } from './timing.js';

export interface SessionRow {
  provider: string;
  x25519_ops_per_s: number;
  /** Sealing the first 64-byte message of a new session. */
  sender_setup_us: number;
  /** Opening the first 64-byte message of a new session. */
  receiver_setup_us: number;
  /** Messages per second when every message opens a new session on both ends. */
  single_shot_msgs_per_s: number;
}

const SESSIONS_PER_BATCH = 32;

export function measureSessions(entry: ProviderEntry, options: RateOptions): SessionRow {
  const provider = entry.provider;
  const sender = generateKeyPair(provider);
  const recipient = generateKeyPair(provider);
  const message = provider.randomBytes(64);

  const x25519Rate = measureRate(() => {
    for (let i = 0; i < SESSIONS_PER_BATCH; i++) provider.x25519(sender.secretKey, recipient.publicKey);
  }, SESSIONS_PER_BATCH, options);

  const sealer = new EnvelopeSealer({ identity: sender, provider });
  const senderRate = measureRate(() => {
    for (let i = 0; i < SESSIONS_PER_BATCH; i++) {
      sealer.reset();
      sealer.seal(CRYPTO_TOPIC, message, recipient.publicKey);
    }
  }, SESSIONS_PER_BATCH, options);

  // Each batch opens first messages of new sessions, sealed before the timer starts.
  let firsts: Uint8Array[] = [];
  let opener: EnvelopeOpener | undefined;
  const prepare = (): void => {
    firsts = Array.from({ length: SESSIONS_PER_BATCH }, () => {
      sealer.reset();
      return sealer.seal(CRYPTO_TOPIC, message, recipient.publicKey);
    });
    opener = new EnvelopeOpener({ identities: [recipient], resolveSender: () => [sender.publicKey], provider });
  };
  const receiverRate = measureRate(() => {
    const current = opener as EnvelopeOpener;
    for (const envelope of firsts) current.open(CRYPTO_TOPIC, envelope);
  }, SESSIONS_PER_BATCH, options, prepare);

  return {
    provider: provider.name,
    x25519_ops_per_s: x25519Rate,
    sender_setup_us: 1e6 / senderRate,
    receiver_setup_us: 1e6 / receiverRate,
    single_shot_msgs_per_s: 1 / (1 / senderRate + 1 / receiverRate),
  };
}
