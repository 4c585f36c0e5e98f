/**
 * The timing loop that runs inside the Chromium page. Playwright sends openInPage to the page as
 * source text, so it uses only its argument and the page's globals.
 */

/** One payload size: base64 envelopes of one session and the keys to open them. */
export interface PageRun {
  topic: string;
  envelopes: string[];
  recipientSecret: string;
  recipientPublic: string;
  senderPublic: string;
  size: number;
  /** Timed rounds of each kind, after one warm-up round of each. */
  rounds: number;
}

export interface PageTiming {
  openOpsPerS: number;
  aeadOpsPerS: number;
}

type Bytes = Uint8Array;

interface PageProvider {
  randomBytes(length: number): Bytes;
  aeadSeal(key: Bytes, nonce: Bytes, aad: Bytes, plaintext: Bytes): Bytes;
  aeadOpen(key: Bytes, nonce: Bytes, aad: Bytes, sealed: Bytes): Bytes;
}

interface PageEnvelope {
  nobleProvider: PageProvider;
  EnvelopeOpener: new (options: {
    identities: { secretKey: Bytes; publicKey: Bytes }[];
    resolveSender: () => Bytes[];
    provider: PageProvider;
  }) => { open(topic: string, envelope: Bytes): { plaintext: Bytes } };
}

/**
 * Alternates envelope rounds and AEAD rounds and returns the median rate of each. Every envelope
 * round uses a fresh opener, because an opener rejects envelopes it has already accepted, and
 * opens the first envelope (the session setup) before the clock starts.
 */
export function openInPage(run: PageRun): PageTiming {
  const { EnvelopeOpener, nobleProvider: provider } = (globalThis as unknown as { envelope: PageEnvelope }).envelope;
  const decode = (text: string): Bytes => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  const envelopes = run.envelopes.map(decode);
  const identity = { secretKey: decode(run.recipientSecret), publicKey: decode(run.recipientPublic) };
  const sender = decode(run.senderPublic);
  const count = envelopes.length - 1;
  // The AAD of a direct envelope: 60-byte header, uint16 topic length, topic.
  const aad = provider.randomBytes(60 + 2 + new TextEncoder().encode(run.topic).length);
  const key = provider.randomBytes(32);
  const nonce = provider.randomBytes(12);
  const sealed = provider.aeadSeal(key, nonce, aad, provider.randomBytes(run.size));

  const envelopeRound = (): number => {
    const opener = new EnvelopeOpener({ identities: [identity], resolveSender: () => [sender], provider });
    opener.open(run.topic, envelopes[0] as Bytes);
    const start = performance.now();
    for (let i = 1; i <= count; i++) {
      if (opener.open(run.topic, envelopes[i] as Bytes).plaintext.length !== run.size) {
        throw new Error(`envelope ${i} opened to the wrong length`);
      }
    }
    return (count * 1000) / (performance.now() - start);
  };
  const aeadRound = (): number => {
    const start = performance.now();
    for (let i = 0; i < count; i++) provider.aeadOpen(key, nonce, aad, sealed);
    return (count * 1000) / (performance.now() - start);
  };
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  };

  envelopeRound();
  aeadRound();
  const open: number[] = [];
  const aead: number[] = [];
  for (let round = 0; round < run.rounds; round++) {
    // Alternate which kind goes first, so drift in the page affects both alike.
    if (round % 2 === 0) {
      open.push(envelopeRound());
      aead.push(aeadRound());
    } else {
      aead.push(aeadRound());
      open.push(envelopeRound());
    }
  }
  return { openOpsPerS: median(open), aeadOpsPerS: median(aead) };
}
