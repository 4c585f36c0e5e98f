import { checkBytes, checkInteger, checkString, equalBytes, toHex } from './bytes.js';
import type { KeyPair } from './dhkem.js';
import {
  DecryptionError,
  E2eeError,
  NotForRecipientError,
  UnknownSenderError,
} from './errors.js';
import { setupAuthR, type HpkeContext } from './hpke.js';
import { checkKeyPair, LruMap } from './identity.js';
import { keyId } from './keys.js';
import { nobleProvider } from './providers/noble.js';
import { X25519_KEY_LENGTH, type CryptoProvider } from './provider.js';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay.js';
import {
  buildAad,
  DIRECT_INFO,
  encodeTopic,
  HEADER_LENGTH,
  parseHeader,
  sessionIdHex,
  type EnvelopeHeader,
} from './wire.js';

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
}

interface ReceiverSession {
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
    this.#sessions = new LruMap(checkInteger(maxSessions, 'maxSessions', 1, Number.MAX_SAFE_INTEGER));
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
   * Authenticates and decrypts an envelope received on `topic`. The steps and their errors follow
   * spec/envelope-v1.md, "Receiver processing".
   */
  open(topic: string, envelope: Uint8Array): OpenedMessage {
    checkString(topic, 'topic');
    const header = parseHeader(envelope);
    const topicBytes = encodeTopic(topic);
    const aad = buildAad(envelope, topicBytes);
    const ciphertext = envelope.subarray(HEADER_LENGTH);
    const cacheKey = `${toHex(header.senderKeyId)}:${toHex(header.recipientKeyId)}:${toHex(header.enc)}`;

    const cached = this.#sessions.get(cacheKey);
    if (cached !== undefined) {
      // The replay check runs before decryption, but the seq is recorded only after the tag
      // verified, so a forged message cannot mark a sequence number as seen.
      cached.window.check(header.seq);
      const plaintext = cached.context.open(aad, ciphertext, header.seq);
      cached.window.accept(header.seq);
      return this.#result(cached, plaintext, header.seq);
    }

    const identities = this.#matchingIdentities(header.recipientKeyId);
    if (identities.length === 0) throw new NotForRecipientError(toHex(header.recipientKeyId));
    const senders = this.#candidateSenders(header.senderKeyId);
    for (const identity of identities) {
      for (const senderPublicKey of senders) {
        const opened = this.#tryNewSession(header, identity, senderPublicKey, aad, ciphertext);
        if (opened === undefined) continue;
        const session: ReceiverSession = {
          context: opened.context,
          senderPublicKey,
          senderKeyId: toHex(header.senderKeyId),
          recipientKeyId: toHex(identity.keyId),
          sessionId: sessionIdHex(this.#provider.sha256, header.enc),
          window: new ReplayWindow(this.#replayWindow),
        };
        session.window.accept(header.seq);
        // NOTE: a session dropped from this cache loses its replay window, so its old messages
        // would open again. spec/envelope-v1.md lists this limit.
        this.#sessions.set(cacheKey, session);
        return this.#result(session, opened.plaintext, header.seq);
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
      .map((key, i) => checkBytes(key, `resolveSender result [${i}]`, X25519_KEY_LENGTH).slice())
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

  #result(session: ReceiverSession, plaintext: Uint8Array, seq: bigint): OpenedMessage {
    return {
      plaintext,
      senderPublicKey: session.senderPublicKey.slice(),
      senderKeyId: session.senderKeyId,
      recipientKeyId: session.recipientKeyId,
      seq,
      sessionId: session.sessionId,
    };
  }
}
