import { BytePool, checkBytes, checkInteger, equalBytes, toHex } from './bytes.js';
import type { KeyPair } from './dhkem.js';
import { PayloadTooLargeError } from './errors.js';
import { setupAuthS, type HpkeContext } from './hpke.js';
import { checkKeyPair, LruMap } from './identity.js';
import { checkPublicKey, keyId } from './keys.js';
import { pad, paddedLength, resolvePadding, type PaddingOption } from './padding.js';
import { nobleProvider } from './providers/noble.js';
import { AEAD_TAG_LENGTH, type CryptoProvider } from './provider.js';
import { canonicalTopic, compileTopicMap, encodeTopicName, type TopicMap, type TopicMapping } from './topic.js';
import {
  AadBuffer,
  DIRECT_INFO,
  encodeHeaderInto,
  FLAG_PADDED,
  HEADER_LENGTH,
  MAX_ENVELOPE_BYTES,
  writeSeq,
  type HeaderFields,
} from './wire.js';

/** Default number of messages a sender seals in one session before it opens a new one. */
export const DEFAULT_MAX_MESSAGES_PER_SESSION = 65536;
/** Largest maxMessagesPerSession, because spec/envelope-v1.md recommends a new session after at most 2^32 messages. */
export const MAX_MESSAGES_PER_SESSION = 2 ** 32;
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
  /** Maximum number of messages per session before a new session starts. Default 65536, at most 2^32. */
  maxMessagesPerSession?: number;
  /** Maximum session age in milliseconds before a new session starts. Default one hour. */
  maxSessionAgeMs?: number;
  /** Maximum number of recipient sessions kept. Beyond it the least recently used one is dropped. Default 1024. */
  maxSessions?: number;
  /** Clock in milliseconds. Defaults to Date.now. */
  now?: () => number;
  /**
   * Length padding: 'none' (default), 'buckets' for DEFAULT_PADDING_BUCKETS, or a strictly
   * increasing list of bucket sizes in bytes.
   */
  padding?: PaddingOption;
  /** Prefix rewrites applied to the topic before it is bound into the AAD, for bridged deployments. */
  topicMap?: readonly TopicMapping[];
  /** Largest envelope to produce, in bytes. Default and maximum 268435455, the MQTT limit. */
  maxEnvelopeBytes?: number;
}

/** Sealing parameters shared by EnvelopeSealer and the deterministic sealer of '@mqtt-e2ee/envelope/testing'. */
export interface SealParameters {
  /** Bucket list, or undefined for no padding. */
  buckets: readonly number[] | undefined;
  maxEnvelopeBytes: number;
}

/** Returns the length of the envelope that sealing `plaintextLength` bytes produces. */
export function envelopeLength(plaintextLength: number, buckets: readonly number[] | undefined): number {
  const sealed = buckets === undefined ? plaintextLength : paddedLength(plaintextLength, buckets);
  return HEADER_LENGTH + sealed + AEAD_TAG_LENGTH;
}

/** Raises PayloadTooLargeError unless a plaintext of `length` bytes fits in the envelope limit. */
export function checkSealSize(length: number, parameters: SealParameters): void {
  const size = envelopeLength(length, parameters.buckets);
  if (size > parameters.maxEnvelopeBytes) {
    throw new PayloadTooLargeError('sealed envelope', size, parameters.maxEnvelopeBytes);
  }
}

/**
 * Seals one message in an open session: header, optional padding, AAD over header and topic,
 * and ContextS.Seal at the explicit seq (spec/envelope-v1.md, "Sender processing"). The
 * envelope is one array from `allocate`: the header is written first and the ciphertext after
 * it, so nothing is copied after encryption.
 */
export function sealWithContext(
  context: HpkeContext,
  fields: HeaderFields,
  topicBytes: Uint8Array,
  plaintext: Uint8Array,
  buckets: readonly number[] | undefined,
  aad: AadBuffer = new AadBuffer(topicBytes),
  allocate: (length: number) => Uint8Array = (length) => new Uint8Array(length),
): Uint8Array {
  const flags = (fields.flags ?? 0) | (buckets === undefined ? 0 : FLAG_PADDED);
  const body = buckets === undefined ? plaintext : pad(plaintext, buckets);
  const envelope = allocate(HEADER_LENGTH + body.length + AEAD_TAG_LENGTH);
  encodeHeaderInto(envelope, { ...fields, flags });
  context.sealInto(aad.withHeader(envelope), body, fields.seq, bodyView(envelope));
  return envelope;
}

/** Returns a view of the part of an envelope after the header. */
function bodyView(envelope: Uint8Array): Uint8Array {
  return new Uint8Array(envelope.buffer, envelope.byteOffset + HEADER_LENGTH, envelope.length - HEADER_LENGTH);
}

interface SenderSession {
  enc: Uint8Array;
  context: HpkeContext;
  recipientKeyId: Uint8Array;
  /** The header with seq 0 and no padding flag, copied into every envelope of the session. */
  header: Uint8Array;
  /** Seq of the next message, below maxMessagesPerSession (at most 2^32), so a number is exact. */
  nextSeq: number;
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
  readonly #maxMessages: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #sessions: LruMap<string, SenderSession>;
  readonly #parameters: SealParameters;
  readonly #topicMap: TopicMap;
  /** The last recipient key and its hex, the session cache key. */
  #lastRecipient: Uint8Array | undefined;
  #lastCacheKey = '';
  /** The last topic sealed and its bound UTF-8 bytes, because publishers mostly repeat a topic. */
  #lastTopic: string | undefined;
  #lastTopicBytes: Uint8Array = new Uint8Array(0);
  #lastTopicAad: AadBuffer | undefined;
  readonly #pool = new BytePool();
  readonly #allocate = (length: number): Uint8Array => this.#pool.take(length);

  constructor(options: EnvelopeSealerOptions) {
    this.#provider = options.provider ?? nobleProvider;
    this.#identity = checkKeyPair(options.identity, 'identity', this.#provider);
    this.#senderKeyId = keyId(this.#identity.publicKey);
    const maxMessages = options.maxMessagesPerSession ?? DEFAULT_MAX_MESSAGES_PER_SESSION;
    this.#maxMessages = checkInteger(maxMessages, 'maxMessagesPerSession', 1, MAX_MESSAGES_PER_SESSION);
    const maxAge = options.maxSessionAgeMs ?? DEFAULT_MAX_SESSION_AGE_MS;
    this.#maxAgeMs = checkInteger(maxAge, 'maxSessionAgeMs', 1, Number.MAX_SAFE_INTEGER);
    const maxSessions = options.maxSessions ?? DEFAULT_MAX_SENDER_SESSIONS;
    this.#sessions = new LruMap(checkInteger(maxSessions, 'maxSessions', 1, Number.MAX_SAFE_INTEGER));
    this.#now = options.now ?? Date.now;
    this.#topicMap = compileTopicMap(options.topicMap ?? [], 'topicMap');
    const maxEnvelopeBytes = options.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES;
    this.#parameters = {
      buckets: resolvePadding(options.padding, 'padding'),
      maxEnvelopeBytes: checkInteger(maxEnvelopeBytes, 'maxEnvelopeBytes', HEADER_LENGTH + AEAD_TAG_LENGTH, MAX_ENVELOPE_BYTES),
    };
  }

  /** The sender's public key. */
  get publicKey(): Uint8Array {
    return this.#identity.publicKey.slice();
  }

  /**
   * Seals `plaintext` for `recipientPublicKey`, bound to `topic` after the topicMap rewrite. Only
   * the visible bytes of a Uint8Array view are sealed. Raises InvalidKeyError for a low-order or
   * non-canonical recipient key and PayloadTooLargeError above maxEnvelopeBytes.
   *
   * Envelopes up to 4 KiB are views into shared 16 KiB blocks, because a separate array per
   * message costs more than the encryption at 1 KiB. Publish the view as it is (its byteOffset
   * and length), because its `buffer` also contains other envelopes of this sealer.
   */
  seal(topic: string, plaintext: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
    const topicBytes = this.#boundTopicBytes(topic);
    checkBytes(plaintext, 'plaintext');
    checkPublicKey(recipientPublicKey, 'recipientPublicKey');
    checkSealSize(plaintext.length, this.#parameters);
    const session = this.#sessionFor(recipientPublicKey);
    const seq = session.nextSeq;
    session.nextSeq = seq + 1;
    const aad = (this.#lastTopicAad ??= new AadBuffer(topicBytes));
    const buckets = this.#parameters.buckets;
    if (buckets !== undefined) {
      const fields = { senderKeyId: this.#senderKeyId, recipientKeyId: session.recipientKeyId, enc: session.enc, seq };
      return sealWithContext(session.context, fields, topicBytes, plaintext, buckets, aad, this.#allocate);
    }
    // Steady state without padding: copy the session's header and write the seq, then encrypt
    // straight into the envelope.
    const envelope = this.#pool.take(HEADER_LENGTH + plaintext.length + AEAD_TAG_LENGTH);
    envelope.set(session.header);
    writeSeq(envelope, seq);
    session.context.sealInto(aad.withHeader(envelope), plaintext, seq, bodyView(envelope));
    return envelope;
  }

  /** Drops every session, so the next message to each recipient starts a new one. */
  reset(): void {
    this.#sessions.clear();
  }

  /** Returns the hex of the recipient key, reusing the string of the last recipient. */
  #cacheKeyOf(recipientPublicKey: Uint8Array): string {
    const last = this.#lastRecipient;
    if (last !== undefined && equalBytes(recipientPublicKey, last)) return this.#lastCacheKey;
    this.#lastRecipient = recipientPublicKey.slice();
    this.#lastCacheKey = toHex(recipientPublicKey);
    return this.#lastCacheKey;
  }

  #boundTopicBytes(topic: string): Uint8Array {
    if (topic === this.#lastTopic) return this.#lastTopicBytes;
    const bytes = encodeTopicName(canonicalTopic(encodeAndReturn(topic), this.#topicMap), 'topic after topicMap');
    this.#lastTopic = topic;
    this.#lastTopicBytes = bytes;
    this.#lastTopicAad = undefined;
    return bytes;
  }

  #sessionFor(recipientPublicKey: Uint8Array): SenderSession {
    const cacheKey = this.#cacheKeyOf(recipientPublicKey);
    const existing = this.#sessions.get(cacheKey);
    if (existing !== undefined && !this.#expired(existing)) return existing;
    const { enc, context } = setupAuthS(recipientPublicKey, DIRECT_INFO, this.#identity.secretKey, {
      provider: this.#provider,
    });
    const recipientKeyId = keyId(recipientPublicKey);
    const header = encodeHeaderInto(new Uint8Array(HEADER_LENGTH), {
      senderKeyId: this.#senderKeyId,
      recipientKeyId,
      enc,
      seq: 0,
    });
    const session: SenderSession = { enc, context, recipientKeyId, header, nextSeq: 0, createdAt: this.#now() };
    this.#sessions.set(cacheKey, session);
    return session;
  }

  #expired(session: SenderSession): boolean {
    return session.nextSeq >= this.#maxMessages || this.#now() - session.createdAt >= this.#maxAgeMs;
  }
}

/** Checks the caller's topic name before the mapping, so that errors name the original value. */
function encodeAndReturn(topic: string): string {
  encodeTopicName(topic, 'topic');
  return topic;
}
