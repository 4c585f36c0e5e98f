import { BytePool, checkBytes, checkInteger, equalBytes, readSeq, toHex } from './bytes.js';
import type { KeyPair } from './dhkem.js';
import {
  DecryptionError,
  DuplicateMessageError,
  E2eeError,
  NotForRecipientError,
  PayloadTooLargeError,
  ReplayError,
  UnknownSenderError,
} from './errors.js';
import { setupAuthR, type HpkeContext } from './hpke.js';
import { checkKeyPair, LruMap } from './identity.js';
import { checkPublicKey, keyId } from './keys.js';
import { unpad } from './padding.js';
import { nobleProvider } from './providers/noble.js';
import type { CryptoProvider } from './provider.js';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay.js';
import { MemoryReplayStore, type ReplayStore } from './replay-store.js';
import { canonicalTopic, compileTopicMap, encodeTopicName, type TopicMap, type TopicMapping } from './topic.js';
import {
  AadBuffer,
  DIRECT_INFO,
  FLAG_PADDED,
  HEADER_LENGTH,
  MAX_ENVELOPE_BYTES,
  MIN_ENVELOPE_LENGTH,
  parseHeader,
  RESERVED_FLAGS,
  ENVELOPE_VERSION,
  SUITE_X25519_SHA256_CHACHA20POLY1305,
  TYPE_DIRECT,
  sessionIdHex,
  type EnvelopeHeader,
} from './wire.js';

/** Header bytes 4..52: sender key id, recipient key id and enc, which identify a session. */
const SESSION_IDS_START = 4;
const SESSION_IDS_END = 52;
const SEQ_OFFSET = 52;

/** Default number of sessions an opener caches. */
export const DEFAULT_MAX_RECEIVER_SESSIONS = 1024;

/** Options of EnvelopeOpener. */
export interface EnvelopeOpenerOptions {
  /** The receiver's own key pairs. Pass several while a key is being rotated. */
  identities: KeyPair[];
  /** Returns the candidate sender public keys for a sender key id, or [] if the sender is unknown. */
  resolveSender(keyId: Uint8Array): Uint8Array[];
  /** Crypto backend. Defaults to nobleProvider. */
  provider?: CryptoProvider;
  /** Size of the per-session replay window in sequence numbers. Default 1024. */
  replayWindow?: number;
  /** Maximum number of cached sessions. Beyond it the least recently used one is dropped. Default 1024. */
  maxSessions?: number;
  /**
   * Storage of replay windows. The opener saves a session's window after every accepted message
   * and loads it when the session is not cached, so old messages stay rejected after the cache
   * dropped the session or, with a persistent store, after a restart. Default: a MemoryReplayStore.
   */
  replayStore?: ReplayStore;
  /** Prefix rewrites applied to the received topic before it is bound into the AAD, for bridged deployments. */
  topicMap?: readonly TopicMapping[];
  /** Largest envelope accepted, in bytes. Default and maximum 268435455, the MQTT limit. */
  maxEnvelopeBytes?: number;
}

/** Counters of an opener since it was created. */
export interface OpenerStats {
  /** Messages authenticated and delivered. */
  accepted: number;
  /** Authenticated exact copies of accepted messages, dropped (ERR_DUPLICATE). */
  duplicates: number;
  /** Messages older than the replay window, rejected (ERR_REPLAY). */
  replays: number;
}

/** A decrypted and authenticated message. */
export interface OpenedMessage {
  plaintext: Uint8Array;
  /** Public key of the authenticated sender. */
  senderPublicKey: Uint8Array;
  /** Sender key id as 16 hex characters. */
  senderKeyId: string;
  /** Recipient key id as 16 hex characters. */
  recipientKeyId: string;
  /** Sequence number of the message within its session. */
  seq: bigint;
  /** Hex of the first 8 bytes of SHA-256(enc). */
  sessionId: string;
  /** Topic name bound into the AAD: the received topic after the topicMap rewrite. */
  boundTopic: string;
  /** True when the sender padded the plaintext; the padding is already removed. */
  padded: boolean;
}

interface ReceiverSession {
  /** Cache and replay store key: "senderKeyId:recipientKeyId:enc" in hex. */
  key: string;
  /** Header bytes 4..52 of the session's envelopes: sender key id, recipient key id and enc. */
  ids: Uint8Array;
  context: HpkeContext;
  senderPublicKey: Uint8Array;
  senderKeyId: string;
  recipientKeyId: string;
  sessionId: string;
  window: ReplayWindow;
}

interface Identity {
  pair: KeyPair;
  keyId: Uint8Array;
}

/**
 * Opens v1 direct envelopes. It caches one HPKE context per session, keyed by sender key id,
 * recipient key id and enc, so X25519 runs only when a session is first seen, and messages of a
 * session open in any order.
 */
export class EnvelopeOpener {
  readonly #identities: Identity[];
  readonly #resolveSender: (keyId: Uint8Array) => Uint8Array[];
  readonly #provider: CryptoProvider;
  readonly #replayWindow: number;
  readonly #sessions: LruMap<string, ReceiverSession>;
  readonly #store: ReplayStore;
  readonly #saveEveryMessage: boolean;
  readonly #topicMap: TopicMap;
  readonly #maxEnvelopeBytes: number;
  readonly #stats: OpenerStats = { accepted: 0, duplicates: 0, replays: 0 };
  /**
   * The cached sessions by a 32-bit number taken from their ids, so that a message of a known
   * session finds it without building the key string. Entries are checked against all 48 id
   * bytes, and a session that shares the number with another is found through the key instead.
   */
  readonly #byIds = new Map<number, ReceiverSession>();
  /** The last topic received with its bound form, because subscribers mostly see a few topics. */
  #lastTopic: { topic: string; boundTopic: string; bytes: Uint8Array; aad: AadBuffer } | undefined;
  readonly #pool = new BytePool();
  readonly #allocate = (length: number): Uint8Array => this.#pool.take(length);

  constructor(options: EnvelopeOpenerOptions) {
    this.#provider = options.provider ?? nobleProvider;
    if (!Array.isArray(options.identities) || options.identities.length === 0) {
      throw new TypeError('identities must be a non-empty array of key pairs');
    }
    this.#identities = options.identities.map((pair, i) => {
      const checked = checkKeyPair(pair, `identities[${i}]`, this.#provider);
      return { pair: checked, keyId: keyId(checked.publicKey) };
    });
    if (typeof options.resolveSender !== 'function') {
      throw new TypeError(`resolveSender must be a function, got ${typeof options.resolveSender}`);
    }
    this.#resolveSender = options.resolveSender;
    this.#replayWindow = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    // Construct one window now so that an invalid size fails here and not on the first message.
    new ReplayWindow(this.#replayWindow);

    const maxSessions = options.maxSessions ?? DEFAULT_MAX_RECEIVER_SESSIONS;
    const limit = checkInteger(maxSessions, 'maxSessions', 1, Number.MAX_SAFE_INTEGER);
    // The default store lives and dies with this opener, so it needs a session's window only once
    // the session leaves the cache. Saving then, and not after every message, is equivalent and
    // saves two copies of the window per message. A caller's store is saved on every message.
    this.#saveEveryMessage = options.replayStore !== undefined;
    this.#sessions = new LruMap(limit, (key, session) => {
      if (this.#byIds.get(idsHash(session.ids, 0)) === session) this.#byIds.delete(idsHash(session.ids, 0));
      if (!this.#saveEveryMessage) this.#store.save(key, session.window.snapshot());
    });
    this.#store = options.replayStore ?? new MemoryReplayStore();
    if (typeof this.#store.load !== 'function' || typeof this.#store.save !== 'function') {
      throw new TypeError('replayStore must have load(sessionKey) and save(sessionKey, snapshot) methods');
    }

    this.#topicMap = compileTopicMap(options.topicMap ?? [], 'topicMap');
    const maxBytes = options.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES;
    this.#maxEnvelopeBytes = checkInteger(maxBytes, 'maxEnvelopeBytes', MIN_ENVELOPE_LENGTH, MAX_ENVELOPE_BYTES);
  }

  /** Copy of the counters of accepted, duplicate and replayed messages. */
  get stats(): OpenerStats {
    return { ...this.#stats };
  }

  /** Returns true when the envelope has a valid v1 header addressed to one of the identities. */
  isForMe(envelope: Uint8Array): boolean {
    let header: EnvelopeHeader;
    try {
      header = parseHeader(envelope);
    } catch (error) {
      if (error instanceof E2eeError) return false;
      throw error;
    }
    return this.#matchingIdentities(header.recipientKeyId).length > 0;
  }

  /**
   * Authenticates and decrypts an envelope received on `topic`, the topic name of the PUBLISH
   * with any MQTT 5 topic alias already resolved. The steps and their errors follow
   * spec/envelope-v1.md, "Receiver processing". An authenticated copy of an accepted message
   * raises DuplicateMessageError ('ERR_DUPLICATE'), which the caller drops without alarm.
   */
  open(topic: string, envelope: Uint8Array): OpenedMessage {
    const { boundTopic, aad: aadBuffer } = this.#bindTopic(topic);
    checkBytes(envelope, 'envelope');
    if (envelope.length > this.#maxEnvelopeBytes) {
      throw new PayloadTooLargeError('envelope', envelope.length, this.#maxEnvelopeBytes);
    }
    const cached = this.#cachedSession(envelope);
    if (cached !== undefined) return this.#openInSession(cached, envelope, aadBuffer, boundTopic);
    const header = parseHeader(envelope);
    const ciphertext = envelope.subarray(HEADER_LENGTH);
    const sessionKey = `${toHex(header.senderKeyId)}:${toHex(header.recipientKeyId)}:${toHex(header.enc)}`;

    const known = this.#sessions.get(sessionKey);
    if (known !== undefined) return this.#openInSession(known, envelope, aadBuffer, boundTopic);
    const window = this.#loadWindow(sessionKey);
    if (window !== undefined && window.status(header.seq) === 'too old') {
      // Rejected before any decryption: the window can no longer tell whether it was accepted.
      this.#stats.replays++;
      throw new ReplayError(header.seq, 'too old');
    }
    // A copy, because resolveSender may call back into this opener and reuse the buffer.
    const aad = aadBuffer.withHeader(envelope).slice();
    const { session, plaintext } = this.#establish(sessionKey, header, aad, ciphertext, window ?? new ReplayWindow(this.#replayWindow));
    // The session enters the cache only after a message of it authenticated.
    this.#sessions.set(sessionKey, session);
    this.#byIds.set(idsHash(session.ids, 0), session);
    return this.#accept(session, plaintext, header.seq, header.flags, boundTopic);
  }

  /**
   * Returns the cached session of an envelope whose first four header bytes are valid, found by its
   * session ids (header bytes 4..52). Those ids passed every check of parseHeader before their
   * session was cached, so the header needs no second parse.
   */
  #cachedSession(envelope: Uint8Array): ReceiverSession | undefined {
    if (
      envelope.length < MIN_ENVELOPE_LENGTH ||
      envelope[0] !== ENVELOPE_VERSION ||
      envelope[1] !== SUITE_X25519_SHA256_CHACHA20POLY1305 ||
      envelope[2] !== TYPE_DIRECT ||
      ((envelope[3] as number) & RESERVED_FLAGS) !== 0
    ) {
      return undefined;
    }
    const session = this.#byIds.get(idsHash(envelope, SESSION_IDS_START));
    if (session === undefined) return undefined;
    const ids = session.ids;
    for (let i = 0; i < SESSION_IDS_END - SESSION_IDS_START; i++) {
      if (envelope[SESSION_IDS_START + i] !== ids[i]) return undefined;
    }
    // The lookup through the LRU map marks the session as recently used.
    return this.#sessions.get(session.key);
  }

  /** Opens an envelope of a cached session, after the replay window allows its seq. */
  #openInSession(session: ReceiverSession, envelope: Uint8Array, aadBuffer: AadBuffer, boundTopic: string): OpenedMessage {
    const seq = readSeq(envelope, SEQ_OFFSET);
    if (session.window.status(seq) === 'too old') {
      // Rejected before any decryption: the window can no longer tell whether it was accepted.
      this.#stats.replays++;
      throw new ReplayError(BigInt(seq), 'too old');
    }
    const ciphertext = new Uint8Array(envelope.buffer, envelope.byteOffset + HEADER_LENGTH, envelope.length - HEADER_LENGTH);
    const plaintext = session.context.openWith(aadBuffer.withHeader(envelope), ciphertext, seq, this.#allocate);
    return this.#accept(session, plaintext, seq, envelope[3] as number, boundTopic);
  }

  /** Records an authenticated message in its replay window and builds the result. */
  #accept(
    session: ReceiverSession,
    plaintext: Uint8Array,
    seq: bigint | number,
    flags: number,
    boundTopic: string,
  ): OpenedMessage {
    // The seq is recorded, and saved to a caller's replay store, before the plaintext leaves this
    // method, so that a crash after delivery cannot let a copy of this message through later.
    const status = session.window.record(seq);
    if (status !== 'new') {
      // Plaintext that is not returned is wiped, because its block is shared with results.
      plaintext.fill(0);
      if (status === 'too old') {
        this.#stats.replays++;
        throw new ReplayError(BigInt(seq), 'too old');
      }
      this.#stats.duplicates++;
      throw new DuplicateMessageError(BigInt(seq), session.sessionId);
    }
    if (this.#saveEveryMessage) this.#store.save(session.key, session.window.snapshot());
    const padded = (flags & FLAG_PADDED) !== 0;
    const message = padded ? unpadOrWipe(plaintext) : plaintext;
    this.#stats.accepted++;
    return {
      plaintext: message,
      senderPublicKey: session.senderPublicKey.slice(),
      senderKeyId: session.senderKeyId,
      recipientKeyId: session.recipientKeyId,
      seq: BigInt(seq),
      sessionId: session.sessionId,
      boundTopic,
      padded,
    };
  }

  #bindTopic(topic: string): { boundTopic: string; aad: AadBuffer } {
    const last = this.#lastTopic;
    if (last !== undefined && last.topic === topic) return last;
    encodeTopicName(topic, 'topic');
    const boundTopic = canonicalTopic(topic, this.#topicMap);
    const bytes = encodeTopicName(boundTopic, 'topic after topicMap');
    this.#lastTopic = { topic, boundTopic, bytes, aad: new AadBuffer(bytes) };
    return this.#lastTopic;
  }

  #loadWindow(sessionKey: string): ReplayWindow | undefined {
    const snapshot = this.#store.load(sessionKey);
    return snapshot === undefined ? undefined : ReplayWindow.restore(snapshot, this.#replayWindow);
  }

  /** Steps 6 to 8 of the receiver processing: find the identity and sender, then set up the session. */
  #establish(
    sessionKey: string,
    header: EnvelopeHeader,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    window: ReplayWindow,
  ): { session: ReceiverSession; plaintext: Uint8Array } {
    const identities = this.#matchingIdentities(header.recipientKeyId);
    if (identities.length === 0) throw new NotForRecipientError(toHex(header.recipientKeyId));
    const senders = this.#candidateSenders(header.senderKeyId);
    for (const identity of identities) {
      for (const senderPublicKey of senders) {
        const opened = this.#tryNewSession(header, identity, senderPublicKey, aad, ciphertext);
        if (opened === undefined) continue;
        const session: ReceiverSession = {
          key: sessionKey,
          ids: Uint8Array.from([...header.senderKeyId, ...header.recipientKeyId, ...header.enc]),
          context: opened.context,
          senderPublicKey,
          senderKeyId: toHex(header.senderKeyId),
          recipientKeyId: toHex(identity.keyId),
          sessionId: sessionIdHex(this.#provider.sha256, header.enc),
          window,
        };
        return { session, plaintext: opened.plaintext };
      }
    }
    throw new DecryptionError();
  }

  #matchingIdentities(recipientKeyId: Uint8Array): Identity[] {
    return this.#identities.filter((identity) => equalBytes(identity.keyId, recipientKeyId));
  }

  #candidateSenders(senderKeyId: Uint8Array): Uint8Array[] {
    const resolved: unknown = this.#resolveSender(senderKeyId.slice());
    if (!Array.isArray(resolved)) {
      throw new TypeError(`resolveSender must return an array of public keys, got ${typeof resolved}`);
    }
    // Only keys whose own key id matches the header can be the sender, because the key id in
    // the header is what the message claims about its origin.
    const candidates = resolved
      .map((key, i) => checkPublicKey(key, `resolveSender result [${i}]`).slice())
      .filter((key) => equalBytes(keyId(key), senderKeyId));
    if (candidates.length === 0) throw new UnknownSenderError(toHex(senderKeyId));
    return candidates;
  }

  #tryNewSession(
    header: EnvelopeHeader,
    identity: Identity,
    senderPublicKey: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): { context: HpkeContext; plaintext: Uint8Array } | undefined {
    try {
      const context = setupAuthR(header.enc, identity.pair.secretKey, DIRECT_INFO, senderPublicKey, {
        provider: this.#provider,
      });
      return { context, plaintext: context.open(aad, ciphertext, header.seq) };
    } catch (error) {
      // A low-order enc or sender key (InvalidKeyError) and a failed tag (DecryptionError) both
      // mean that this candidate did not seal the message. The caller raises one DecryptionError.
      if (error instanceof E2eeError) return undefined;
      throw error;
    }
  }
}

/**
 * Returns a 32-bit number from the session ids at `offset`: the first four bytes of the sender
 * key id XOR the first four bytes of enc. Both are hash or random output, so the numbers spread
 * well. A collision only sends a message down the path that builds the key string.
 */
function idsHash(bytes: Uint8Array, offset: number): number {
  const senderId = offset;
  const enc = offset + 16;
  return (
    (((bytes[senderId] as number) ^ (bytes[enc] as number)) << 24) |
    (((bytes[senderId + 1] as number) ^ (bytes[enc + 1] as number)) << 16) |
    (((bytes[senderId + 2] as number) ^ (bytes[enc + 2] as number)) << 8) |
    ((bytes[senderId + 3] as number) ^ (bytes[enc + 3] as number))
  );
}

/** Removes the padding, or wipes the plaintext and raises when the padding is malformed. */
function unpadOrWipe(plaintext: Uint8Array): Uint8Array {
  try {
    return unpad(plaintext);
  } catch (error) {
    plaintext.fill(0);
    throw error;
  }
}
