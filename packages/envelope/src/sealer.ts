import { checkBytes, checkInteger, checkString, concat, toHex } from './bytes.js';
import type { KeyPair } from './dhkem.js';
import { setupAuthS, type HpkeContext } from './hpke.js';
import { checkKeyPair, LruMap } from './identity.js';
import { keyId } from './keys.js';
import { nobleProvider } from './providers/noble.js';
import { X25519_KEY_LENGTH, type CryptoProvider } from './provider.js';
import { buildAad, DIRECT_INFO, encodeHeader, encodeTopic } from './wire.js';

/** Default number of messages a sender seals in one session before it opens a new one. */
export const DEFAULT_MAX_MESSAGES_PER_SESSION = 65536;
/** Default session age in milliseconds after which a sender opens a new session. */
export const DEFAULT_MAX_SESSION_AGE_MS = 60 * 60 * 1000;
/** Default number of recipient sessions a sealer keeps. */
export const DEFAULT_MAX_SENDER_SESSIONS = 1024;

/** Options of EnvelopeSealer. */
export interface EnvelopeSealerOptions {
  /** The sender's static key pair. HPKE auth mode binds its public key to every message. */
  identity: KeyPair;
  /** Crypto backend. Defaults to nobleProvider. */
  provider?: CryptoProvider;
  /** Maximum number of messages per session before a new session starts. Default 65536. */
  maxMessagesPerSession?: number;
  /** Maximum session age in milliseconds before a new session starts. Default one hour. */
  maxSessionAgeMs?: number;
  /** Maximum number of recipient sessions kept. Beyond it the least recently used one is dropped. Default 1024. */
  maxSessions?: number;
  /** Clock in milliseconds. Defaults to Date.now. */
  now?: () => number;
}

interface SenderSession {
  enc: Uint8Array;
  context: HpkeContext;
  recipientKeyId: Uint8Array;
  nextSeq: bigint;
  createdAt: number;
}

/**
 * Seals payloads into v1 direct envelopes. One HPKE auth-mode session per recipient is reused
 * for many messages, so X25519 runs only when a session opens.
 */
export class EnvelopeSealer {
  readonly #identity: KeyPair;
  readonly #senderKeyId: Uint8Array;
  readonly #provider: CryptoProvider;
  readonly #maxMessages: bigint;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #sessions: LruMap<string, SenderSession>;

  constructor(options: EnvelopeSealerOptions) {
    this.#provider = options.provider ?? nobleProvider;
    this.#identity = checkKeyPair(options.identity, 'identity', this.#provider);
    this.#senderKeyId = keyId(this.#identity.publicKey);
    const maxMessages = options.maxMessagesPerSession ?? DEFAULT_MAX_MESSAGES_PER_SESSION;
    this.#maxMessages = BigInt(checkInteger(maxMessages, 'maxMessagesPerSession', 1, Number.MAX_SAFE_INTEGER));
    const maxAge = options.maxSessionAgeMs ?? DEFAULT_MAX_SESSION_AGE_MS;
    this.#maxAgeMs = checkInteger(maxAge, 'maxSessionAgeMs', 1, Number.MAX_SAFE_INTEGER);
    const maxSessions = options.maxSessions ?? DEFAULT_MAX_SENDER_SESSIONS;
    this.#sessions = new LruMap(checkInteger(maxSessions, 'maxSessions', 1, Number.MAX_SAFE_INTEGER));
    this.#now = options.now ?? Date.now;
  }

  /** The sender's public key. */
  get publicKey(): Uint8Array {
    return this.#identity.publicKey.slice();
  }

  /**
   * Seals `plaintext` for `recipientPublicKey`, bound to `topic`. Only the visible bytes of a
   * Uint8Array view are sealed. Raises InvalidKeyError for a low-order recipient key.
   */
  seal(topic: string, plaintext: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
    checkString(topic, 'topic');
    checkBytes(plaintext, 'plaintext');
    checkBytes(recipientPublicKey, 'recipientPublicKey', X25519_KEY_LENGTH);
    const topicBytes = encodeTopic(topic);
    const session = this.#sessionFor(recipientPublicKey);
    const seq = session.nextSeq;
    session.nextSeq = seq + 1n;
    const header = encodeHeader({
      senderKeyId: this.#senderKeyId,
      recipientKeyId: session.recipientKeyId,
      enc: session.enc,
      seq,
    });
    const ciphertext = session.context.seal(buildAad(header, topicBytes), plaintext, seq);
    return concat(header, ciphertext);
  }

  /** Drops every session, so the next message to each recipient starts a new one. */
  reset(): void {
    this.#sessions.clear();
  }

  #sessionFor(recipientPublicKey: Uint8Array): SenderSession {
    const cacheKey = toHex(recipientPublicKey);
    const existing = this.#sessions.get(cacheKey);
    if (existing !== undefined && !this.#expired(existing)) return existing;
    const { enc, context } = setupAuthS(recipientPublicKey, DIRECT_INFO, this.#identity.secretKey, {
      provider: this.#provider,
    });
    const session: SenderSession = {
      enc,
      context,
      recipientKeyId: keyId(recipientPublicKey),
      nextSeq: 0n,
      createdAt: this.#now(),
    };
    this.#sessions.set(cacheKey, session);
    return session;
  }

  #expired(session: SenderSession): boolean {
    return session.nextSeq >= this.#maxMessages || this.#now() - session.createdAt >= this.#maxAgeMs;
  }
}
