/**
 * Envelope seal and open rates per crypto provider and payload size, next to the provider's own
 * AEAD call and the library's bare AEAD call with the same key, nonce and AAD sizes. All six
 * operations of one provider and size are measured in turns (measureRates).
 */
import { EnvelopeOpener, EnvelopeSealer, generateKeyPair, type CryptoProvider, type KeyPair } from '@mqtt-e2ee/envelope';
import type { ProviderEntry, RawAead } from './providers.js';
import { measureRates, type RateOptions, type RateTask } from './timing.js';

export const CRYPTO_TOPIC = 'bench/crypto/topic';
/** AAD length of a direct envelope on CRYPTO_TOPIC: 60-byte header, uint16 length, topic. */
const AAD_LENGTH = 60 + 2 + CRYPTO_TOPIC.length;
/** Plaintext bytes sealed per batch, so that large sizes do not hold hundreds of MB. */
const BATCH_BYTES = 4 * 1024 * 1024;

export interface CryptoRow {
  provider: string;
  size_bytes: number;
  seal_ops_per_s: number;
  open_ops_per_s: number;
  seal_mb_per_s: number;
  open_mb_per_s: number;
  /** The provider's aeadSeal / aeadOpen, which add input checks to the library call. */
  provider_aead_seal_ops_per_s: number;
  provider_aead_open_ops_per_s: number;
  /** The library called directly, or null when the bench cannot load it. */
  library_aead_seal_ops_per_s: number | null;
  library_aead_open_ops_per_s: number | null;
  /** (seal + open time) / (provider aeadSeal + aeadOpen time). Target: at most 1.25. */
  envelope_vs_provider_aead: number;
  envelope_vs_library_aead: number | null;
}

function batchCount(size: number): number {
  return Math.max(64, Math.min(2048, Math.floor(BATCH_BYTES / size)));
}

/** Measures one provider at one payload size. */
export function measureCrypto(entry: ProviderEntry, size: number, options: RateOptions): CryptoRow {
  const provider = entry.provider;
  const count = batchCount(size);
  const message = provider.randomBytes(size);
  const sender = generateKeyPair(provider);
  const recipient = generateKeyPair(provider);
  const sealer = new EnvelopeSealer({ identity: sender, provider });
  const tasks: RateTask[] = [
    {
      batch: () => {
        for (let i = 0; i < count; i++) sealer.seal(CRYPTO_TOPIC, message, recipient.publicKey);
      },
      batchSize: count,
    },
    openTask(provider, sender, recipient, message, count),
    ...aeadTasks(provider.aeadSeal, provider.aeadOpen, provider, message, count),
    ...(entry.raw === undefined ? [] : aeadTasks(entry.raw.seal, entry.raw.open, provider, message, count)),
  ];
  const [seal = 0, open = 0, aeadSeal = 0, aeadOpen = 0, librarySeal, libraryOpen] = measureRates(tasks, options);
  const envelopeTime = 1 / seal + 1 / open;
  const libraryTime = librarySeal === undefined || libraryOpen === undefined ? undefined : 1 / librarySeal + 1 / libraryOpen;
  return {
    provider: provider.name,
    size_bytes: size,
    seal_ops_per_s: seal,
    open_ops_per_s: open,
    seal_mb_per_s: (seal * size) / 1e6,
    open_mb_per_s: (open * size) / 1e6,
    provider_aead_seal_ops_per_s: aeadSeal,
    provider_aead_open_ops_per_s: aeadOpen,
    library_aead_seal_ops_per_s: librarySeal ?? null,
    library_aead_open_ops_per_s: libraryOpen ?? null,
    envelope_vs_provider_aead: envelopeTime / (1 / aeadSeal + 1 / aeadOpen),
    envelope_vs_library_aead: libraryTime === undefined ? null : envelopeTime / libraryTime,
  };
}

/**
 * Opens `count - 1` envelopes of one session per batch. Each batch gets a fresh opener, whose
 * first message (the X25519 session setup) is opened before the timer starts.
 */
function openTask(provider: CryptoProvider, sender: KeyPair, recipient: KeyPair, message: Uint8Array, count: number): RateTask {
  const sealer = new EnvelopeSealer({ identity: sender, provider });
  const envelopes = Array.from({ length: count }, () => sealer.seal(CRYPTO_TOPIC, message, recipient.publicKey));
  let opener: EnvelopeOpener | undefined;
  return {
    prepare: () => {
      opener = new EnvelopeOpener({ identities: [recipient], resolveSender: () => [sender.publicKey], provider });
      opener.open(CRYPTO_TOPIC, envelopes[0] as Uint8Array);
    },
    batch: () => {
      const current = opener as EnvelopeOpener;
      for (let i = 1; i < count; i++) current.open(CRYPTO_TOPIC, envelopes[i] as Uint8Array);
    },
    batchSize: count - 1,
  };
}

/** Seal and open tasks of one AEAD implementation, with a fresh output per call as the envelope needs. */
function aeadTasks(seal: RawAead['seal'], open: RawAead['open'], provider: CryptoProvider, message: Uint8Array, count: number): RateTask[] {
  const key = provider.randomBytes(32);
  const nonce = provider.randomBytes(12);
  const aad = provider.randomBytes(AAD_LENGTH);
  const sealed = seal(key, nonce, aad, message);
  return [
    {
      batch: () => {
        for (let i = 0; i < count; i++) seal(key, nonce, aad, message);
      },
      batchSize: count,
    },
    {
      batch: () => {
        for (let i = 0; i < count; i++) open(key, nonce, aad, sealed);
      },
      batchSize: count,
    },
  ];
}
