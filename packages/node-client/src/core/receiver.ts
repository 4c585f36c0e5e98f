/** Turns incoming MQTT publishes into decrypted messages, skipped envelopes or typed errors. */
import {
  classifyPayload,
  E2eeError,
  EnvelopeFormatError,
  parseHeader,
  UnknownSenderError,
  type EnvelopeHeader,
  type EnvelopeOpener,
  type PayloadKind,
} from '@mqtt-e2ee/envelope';
import type { IPublishPacket } from 'mqtt';
import type { QoS } from './validate.js';
import { bytesEqual, toHex } from './bytes.js';
import { MessageHandlingError, MessageTooLargeError, SenderNotAllowedError } from './errors.js';
import { filterAllows, type SubscriptionRegistry } from './subscriptions.js';

/** A decrypted and authenticated message. */
export interface E2eeMessage {
  topic: string;
  /**
   * Decrypted payload bytes. Up to 4 KiB this is a view into a block shared with other messages
   * of this client, as small Node.js Buffers are. Read it through its offset and length, and keep
   * a `slice()` when only this message's bytes may be stored or passed on. Transfer only such a
   * copy to a worker, because transferring `payload.buffer` empties other messages' payloads.
   */
  payload: Uint8Array;
  /**
   * The authenticated sender. With key exchange, `clientId` is the client id of its verified
   * announcement.
   */
  sender: { keyId: string; publicKey: Uint8Array; publicKeyText: string; clientId?: string };
  /** Group id, for a message that arrived in a group envelope (key exchange only). */
  group?: string;
  qos: QoS;
  retain: boolean;
  /**
   * MQTT 5 packet properties as received. They travel in clear text and are not authenticated
   * by the envelope.
   */
  properties?: IPublishPacket['properties'];
  /** Sequence number of the message within its envelope session. */
  seq: bigint;
}

/** An envelope addressed to another recipient, reported by the 'skipped' event. */
export interface SkippedEnvelope {
  topic: string;
  /** Recipient key id from the envelope header, 16 hex characters. */
  recipientKeyId: string;
  /** Sender key id from the envelope header, 16 hex characters. */
  senderKeyId: string;
}

/**
 * A zero-length payload, reported by the 'retained-delete' event. MQTT uses it to delete the
 * retained message of a topic (MQTT 5.0 section 3.3.1.3). It carries no envelope, so it is
 * neither decrypted nor authenticated: any client allowed to publish on the topic can send it.
 */
export interface RetainedDelete {
  topic: string;
  /** Retain flag as received: true when the broker delivers a stored empty retained message. */
  retain: boolean;
  qos: QoS;
  properties?: IPublishPacket['properties'];
}

/**
 * An authenticated exact copy of a message that was already delivered, reported by the
 * 'duplicate' event instead of being delivered again. MQTT produces such copies on its own: QoS 1
 * redelivery, one copy per matching subscription when filters overlap, and retained messages sent
 * again on a new subscription.
 */
export interface DuplicateMessage {
  topic: string;
  /** Sequence number of the copy within its envelope session. */
  seq: bigint;
  /** Sender key id from the envelope header, 16 hex characters; empty for a group envelope. */
  senderKeyId: string;
  /** Session id of the copy, or the epoch id for a group envelope. */
  sessionId: string;
  /** Retain flag as received. */
  retain: boolean;
}

/**
 * A payload that is not an envelope on a subscribed topic, reported by the 'unencrypted' event
 * when the client runs with `strict: false`. It is neither decrypted nor authenticated.
 */
export interface UnencryptedMessage {
  topic: string;
  /** The payload exactly as received. Anyone allowed to publish on the topic can have sent it. */
  payload: Uint8Array;
  /** 'not-envelope' for clear text, 'unsupported-version' for a first byte from 0x02 to 0x1f. */
  kind: 'not-envelope' | 'unsupported-version';
  qos: QoS;
  retain: boolean;
  properties?: IPublishPacket['properties'];
}

/** A rejected incoming message: the typed error with the topic it arrived on. */
export type DecryptFailure = E2eeError & { readonly topic: string };

export type Outcome =
  | { kind: 'message'; message: E2eeMessage }
  | { kind: 'skipped'; skipped: SkippedEnvelope }
  | { kind: 'retained-delete'; retainedDelete: RetainedDelete }
  | { kind: 'error'; error: DecryptFailure };

export interface ReceiverParts {
  /** Opener holding exactly one identity, the one whose key id is `ownKeyId`. */
  opener: EnvelopeOpener;
  /** Key id of the opener's identity, 16 lowercase hex characters. */
  ownKeyId: string;
  /** The same key id as 8 bytes. */
  ownKeyIdBytes: Uint8Array;
  /** Candidate public keys of a sender key id from the peers option. */
  resolveSender: (keyId: Uint8Array) => Uint8Array[];
  /**
   * Changes whenever the results of resolveSender may change. Without it, every message looks
   * its sender up again.
   */
  peersRevision: (() => number) | undefined;
  /** The last sender found among the peers, so that a repeated sender is not looked up again. */
  lastSender: KnownSender | undefined;
  subscriptions: SubscriptionRegistry;
  encodePublicKey: (publicKey: Uint8Array) => string;
  /** Largest envelope accepted, in bytes; larger ones are rejected before any parsing. */
  maxMessageBytes: number;
}

/** A sender public key that resolveSender returned at `revision`, with its key text. */
export interface KnownSender {
  publicKey: Uint8Array;
  publicKeyText: string;
  revision: number;
}

/**
 * Classifies one incoming publish. Every failure, including one that is not an E2eeError, comes
 * back as an error outcome instead of an exception, so a bad message cannot break the connection.
 */
export function receive(
  parts: ReceiverParts,
  topic: string,
  payload: Uint8Array,
  packet: IPublishPacket,
): Outcome {
  try {
    return receiveOrThrow(parts, topic, payload, packet);
  } catch (error) {
    const typed = error instanceof E2eeError ? error : new MessageHandlingError(error);
    return { kind: 'error', error: Object.assign(typed, { topic }) };
  }
}

function receiveOrThrow(
  parts: ReceiverParts,
  topic: string,
  payload: Uint8Array,
  packet: IPublishPacket,
): Outcome {
  const kind = classifyPayload(payload);
  if (kind === 'delete') {
    const retainedDelete: RetainedDelete = { topic, retain: packet.retain, qos: packet.qos };
    if (packet.properties !== undefined) retainedDelete.properties = packet.properties;
    return { kind: 'retained-delete', retainedDelete };
  }
  if (payload.length > parts.maxMessageBytes) {
    throw new MessageTooLargeError('incoming', topic, payload.length, parts.maxMessageBytes);
  }
  // For an envelope addressed to this client the header is parsed once, by the opener. Anything
  // else takes the full parse first, so that a malformed header reports its format error.
  if (kind !== 'envelope' || !isAddressedTo(payload, parts.ownKeyIdBytes)) {
    const header = parseEnvelopeHeader(payload, kind);
    const recipientKeyId = toHex(header.recipientKeyId);
    const senderKeyId = toHex(header.senderKeyId);
    if (recipientKeyId !== parts.ownKeyId) {
      return { kind: 'skipped', skipped: { topic, recipientKeyId, senderKeyId } };
    }
  }

  const allowed = parts.subscriptions.allowedSenders(topic);
  // Senders outside the `from` lists are rejected before any X25519 or AEAD work is done.
  if (allowed !== 'any-peer') {
    const senderKeyId = toHex(payload.subarray(SENDER_KEY_ID_OFFSET, SENDER_KEY_ID_OFFSET + 8));
    if (!allowed.has(senderKeyId)) {
      // A malformed header still reports its format error first.
      parseHeader(payload);
      throw new SenderNotAllowedError(senderKeyId);
    }
  }

  const opened = parts.opener.open(topic, payload);
  // The opener calls resolveSender only when a session starts, so this lookup makes a peer removed
  // from a PeerDirectory lose its open sessions at once.
  const sender = knownSender(parts, opened.senderPublicKey, payload);
  // A message refused after decryption has its plaintext wiped, because the plaintext shares its
  // block with messages that were delivered.
  if (sender === undefined) {
    opened.plaintext.fill(0);
    throw new UnknownSenderError(opened.senderKeyId);
  }

  if (
    allowed !== 'any-peer' &&
    !filterAllows(allowed, opened.senderKeyId, opened.senderPublicKey)
  ) {
    opened.plaintext.fill(0);
    throw new SenderNotAllowedError(opened.senderKeyId);
  }

  const message: E2eeMessage = {
    topic,
    payload: opened.plaintext,
    sender: {
      keyId: opened.senderKeyId,
      publicKey: opened.senderPublicKey,
      publicKeyText: sender.publicKeyText,
    },
    qos: packet.qos,
    retain: packet.retain,
    seq: opened.seq,
  };
  if (packet.properties !== undefined) message.properties = packet.properties;
  return { kind: 'message', message };
}

/** Offsets in the v1 direct header (spec/envelope-v1.md, "Wire format"). */
const SENDER_KEY_ID_OFFSET = 4;
const RECIPIENT_KEY_ID_OFFSET = 12;
const MIN_DIRECT_ENVELOPE = 76;

/** True when a payload of at least envelope length names `ownKeyId` as its recipient. */
function isAddressedTo(payload: Uint8Array, ownKeyId: Uint8Array): boolean {
  if (payload.length < MIN_DIRECT_ENVELOPE) return false;
  for (let i = 0; i < 8; i++) {
    if (payload[RECIPIENT_KEY_ID_OFFSET + i] !== ownKeyId[i]) return false;
  }
  return true;
}

/**
 * Returns the sender when resolveSender still returns its key. The result for the last sender is
 * kept until the peers' revision changes.
 */
function knownSender(parts: ReceiverParts, publicKey: Uint8Array, envelope: Uint8Array): KnownSender | undefined {
  const revision = parts.peersRevision?.();
  const last = parts.lastSender;
  if (revision !== undefined && last !== undefined && last.revision === revision && bytesEqual(last.publicKey, publicKey)) {
    return last;
  }
  // The opener accepted the message, so the header's sender key id is the key id of `publicKey`.
  const candidates = parts.resolveSender(envelope.slice(SENDER_KEY_ID_OFFSET, SENDER_KEY_ID_OFFSET + 8));
  if (!candidates.some((key) => bytesEqual(key, publicKey))) return undefined;
  const sender: KnownSender = {
    publicKey: publicKey.slice(),
    publicKeyText: parts.encodePublicKey(publicKey),
    revision: revision ?? -1,
  };
  if (revision !== undefined) parts.lastSender = sender;
  return sender;
}

/**
 * Parses the header. A payload that cannot be an envelope at all, such as clear text from a
 * publisher without encryption, is an EnvelopeFormatError, and a first byte from 0x02 to 0x1f
 * raises UnsupportedVersionError from parseHeader (spec/envelope-v1.md section 5).
 */
function parseEnvelopeHeader(payload: Uint8Array, kind: PayloadKind): EnvelopeHeader {
  if (kind === 'not-envelope') {
    // The message leaves out the first byte, because it is a byte of someone's payload.
    throw new EnvelopeFormatError(
      `Payload of ${payload.length} bytes is not an mqtt-e2ee envelope, because its first byte is not an envelope version; the publisher may be sending without encryption.`,
    );
  }
  return parseHeader(payload);
}
