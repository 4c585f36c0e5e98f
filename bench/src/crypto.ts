/**
 * Envelope seal and open rates per crypto provider and payload size, next to the provider's own
 * AEAD call and the library's bare AEAD call with the same key, nonce and AAD sizes.
 */
import { EnvelopeOpener, EnvelopeSealer, generateKeyPair, type CryptoProvider } from '@mqtt-e2ee/envelope';
import type { ProviderEntry } from './providers.js';
import { measureRate, type RateOptions } from './timing.js';

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
  const sealRate = measureRate(
    () => {
      for (let i = 0; i < count; i++) sealer.seal(CRYPTO_TOPIC, message, recipient.publicKey);
    },
    count,
    options,
  );

  const openRate = measureOpen(provider, sender, recipient, message, count, options);
  const aead = measureAead(provider, message, count, options);
  const library = entry.raw === undefined ? undefined : measureLibrary(entry, message, count, options);
  const envelopeTime = 1 / sealRate + 1 / openRate;
  return {
    provider: provider.name,
    size_bytes: size,
    seal_ops_per_s: sealRate,
    open_ops_per_s: openRate,
    seal_mb_per_s: (sealRate * size) / 1e6,
    open_mb_per_s: (openRate * size) / 1e6,
    provider_aead_seal_ops_per_s: aead.seal,
    provider_aead_open_ops_per_s: aead.open,
    library_aead_seal_ops_per_s: library?.seal ?? null,
    library_aead_open_ops_per_s: library?.open ?? null,
    envelope_vs_provider_aead: envelopeTime / (1 / aead.seal + 1 / aead.open),
    envelope_vs_library_aead: library === undefined ? null : envelopeTime / (1 / library.seal + 1 / library.open),
  };
}

/**
 * Opens `count - 1` envelopes of one session per batch. Each batch gets a fresh opener, whose
 * first message (the X25519 session setup) is opened before the timer starts.
 */
function measureOpen(
  provider: CryptoProvider,
  sender: ReturnType<typeof generateKeyPair>,
  recipient: ReturnType<typeof generateKeyPair>,
  message: Uint8Array,
  count: number,
  options: RateOptions,
): number {
  const sealer = new EnvelopeSealer({ identity: sender, provider });
  const envelopes = Array.from({ length: count }, () => sealer.seal(CRYPTO_TOPIC, message, recipient.publicKey));
  let opener: EnvelopeOpener | undefined;
  const prepare = (): void => {
    opener = new EnvelopeOpener({ identities: [recipient], resolveSender: () => [sender.publicKey], provider });
    opener.open(CRYPTO_TOPIC, envelopes[0] as Uint8Array);
  };
  const batch = (): void => {
    const current = opener as EnvelopeOpener;
    for (let i = 1; i < count; i++) current.open(CRYPTO_TOPIC, envelopes[i] as Uint8Array);
  };
  return measureRate(batch, count - 1, options, prepare);
}

interface SealOpenRates {
  seal: number;
  open: number;
}

function aeadInputs(provider: CryptoProvider): { key: Uint8Array; nonce: Uint8Array; aad: Uint8Array } {
  return { key: provider.randomBytes(32), nonce: provider.randomBytes(12), aad: provider.randomBytes(AAD_LENGTH) };
}

function measureAead(provider: CryptoProvider, message: Uint8Array, count: number, options: RateOptions): SealOpenRates {
  const { key, nonce, aad } = aeadInputs(provider);
  const sealed = provider.aeadSeal(key, nonce, aad, message);
  const seal = measureRate(() => {
    for (let i = 0; i < count; i++) provider.aeadSeal(key, nonce, aad, message);
  }, count, options);
  const open = measureRate(() => {
    for (let i = 0; i < count; i++) provider.aeadOpen(key, nonce, aad, sealed);
  }, count, options);
  return { seal, open };
}

function measureLibrary(entry: ProviderEntry, message: Uint8Array, count: number, options: RateOptions): SealOpenRates {
  const raw = entry.raw;
  if (raw === undefined) throw new TypeError(`provider ${entry.provider.name} has no library AEAD to measure`);
  const { key, nonce, aad } = aeadInputs(entry.provider);
  const sealed = raw.seal(key, nonce, aad, message);
  const seal = measureRate(() => {
    for (let i = 0; i < count; i++) raw.seal(key, nonce, aad, message);
  }, count, options);
  const open = measureRate(() => {
    for (let i = 0; i < count; i++) raw.open(key, nonce, aad, sealed);
  }, count, options);
  return { seal, open };
}
