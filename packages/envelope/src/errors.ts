/**
 * Error classes of the envelope layer. Every class has a stable `code` that callers can switch on;
 * the same codes appear in the error registry of spec/envelope-v1.md. Messages name the failing
 * value and the fix, and never contain key material or plaintext.
 */

/** Options accepted by every error constructor. */
export interface E2eeErrorOptions {
  cause?: unknown;
}

/** Base class of all mqtt-e2ee errors. */
export class E2eeError extends Error {
  /** Stable machine-readable error code, such as 'ERR_DECRYPT'. */
  readonly code: string;

  constructor(code: string, message: string, options?: E2eeErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** The envelope is truncated, or a header field other than version and suite is invalid. */
export class EnvelopeFormatError extends E2eeError {
  constructor(message: string, options?: E2eeErrorOptions) {
    super('ERR_ENVELOPE_FORMAT', message, options);
  }
}

/** The envelope version byte is not one this implementation reads. */
export class UnsupportedVersionError extends E2eeError {
  /** Version byte found in the envelope. */
  readonly version: number;

  constructor(version: number, options?: E2eeErrorOptions) {
    super(
      'ERR_UNSUPPORTED_VERSION',
      `Unsupported envelope version 0x${hexByte(version)}: this implementation reads version 0x01 only; upgrade the receiver or ask the sender to use version 0x01.`,
      options,
    );
    this.version = version;
  }
}

/** The cipher suite id is not in the suite registry. */
export class UnsupportedSuiteError extends E2eeError {
  /** Suite id found in the envelope. */
  readonly suite: number;

  constructor(suite: number, options?: E2eeErrorOptions) {
    super(
      'ERR_UNSUPPORTED_SUITE',
      `Unsupported cipher suite id 0x${hexByte(suite)}: only 0x01 (X25519, HKDF-SHA256, ChaCha20-Poly1305) is supported.`,
      options,
    );
    this.suite = suite;
  }
}

/** No public key is known for the sender key id in the envelope. */
export class UnknownSenderError extends E2eeError {
  /** Sender key id as 16 hex characters. */
  readonly senderKeyId: string;

  constructor(senderKeyId: string, options?: E2eeErrorOptions) {
    super(
      'ERR_UNKNOWN_SENDER',
      `Unknown sender key id ${senderKeyId}: add the sender's public key to the peer directory to accept its messages.`,
      options,
    );
    this.senderKeyId = senderKeyId;
  }
}

/** The recipient key id in the envelope matches none of the local identities. */
export class NotForRecipientError extends E2eeError {
  /** Recipient key id as 16 hex characters. */
  readonly recipientKeyId: string;

  constructor(recipientKeyId: string, options?: E2eeErrorOptions) {
    super(
      'ERR_NOT_FOR_RECIPIENT',
      `Envelope is addressed to key id ${recipientKeyId}, which matches none of the local identities.`,
      options,
    );
    this.recipientKeyId = recipientKeyId;
  }
}

/**
 * Authentication failed. A wrong key, a modified byte and a wrong topic all raise this one error
 * with one fixed message, so a caller cannot learn which check failed.
 */
export class DecryptionError extends E2eeError {
  constructor(options?: E2eeErrorOptions) {
    super(
      'ERR_DECRYPT',
      'Decryption failed: the envelope was modified, sealed for another topic or key, or not sent by the claimed sender.',
      options,
    );
  }
}

/** Reason of a ReplayError: an exact copy, or a sequence number older than the window. */
export type ReplayReason = 'duplicate' | 'too old';

/**
 * The sequence number is older than the replay window of its session, so the receiver cannot
 * tell whether it was already accepted. The subclass DuplicateMessageError reports an exact copy
 * of an accepted message.
 */
export class ReplayError extends E2eeError {
  /** Rejected sequence number. */
  readonly seq: bigint;
  /** 'too old' for ReplayError itself, 'duplicate' for DuplicateMessageError. */
  readonly reason: ReplayReason;

  constructor(seq: bigint, reason: ReplayReason, options?: E2eeErrorOptions) {
    const detail =
      reason === 'duplicate'
        ? 'was already accepted in this session'
        : 'is older than the replay window of this session';
    const duplicateClass =
      new.target === DuplicateMessageError || new.target.prototype instanceof DuplicateMessageError;
    const code = reason === 'duplicate' && duplicateClass ? 'ERR_DUPLICATE' : 'ERR_REPLAY';
    super(code, `Replayed message rejected: sequence number ${seq} ${detail}.`, options);
    this.seq = seq;
    this.reason = reason;
  }
}

/**
 * An authenticated exact copy of a message that was already accepted in its session, as MQTT
 * itself produces with QoS 1 redelivery, overlapping subscriptions and retained messages. Drop it
 * and count it; it is not an attack. It extends ReplayError so that existing handlers still
 * catch it.
 */
export class DuplicateMessageError extends ReplayError {
  /** Session id of the duplicate, hex of the first 8 bytes of SHA-256(enc). */
  readonly sessionId: string;

  constructor(seq: bigint, sessionId: string, options?: E2eeErrorOptions) {
    super(seq, 'duplicate', options);
    this.sessionId = sessionId;
  }
}

/** The envelope or the plaintext to seal is larger than the configured maximum. */
export class PayloadTooLargeError extends E2eeError {
  /** Size that was rejected, in bytes. */
  readonly size: number;
  /** Configured maximum, in bytes. */
  readonly limit: number;

  constructor(what: 'envelope' | 'sealed envelope', size: number, limit: number, options?: E2eeErrorOptions) {
    super(
      'ERR_TOO_LARGE',
      `The ${what} of ${size} bytes exceeds the maximum of ${limit} bytes: raise maxEnvelopeBytes or send less data.`,
      options,
    );
    this.size = size;
    this.limit = limit;
  }
}

/**
 * An authenticated envelope has the padding flag set but its plaintext does not end in a valid
 * padding (a 0x80 byte followed only by zero bytes). Only the authenticated sender can cause this.
 */
export class PaddingError extends E2eeError {
  constructor(options?: E2eeErrorOptions) {
    super(
      'ERR_PADDING',
      'Invalid padding: the padding flag is set but the plaintext does not end in 0x80 followed by zero bytes; the sender must pad as spec/envelope-v1.md describes.',
      options,
    );
  }
}

/** A key is unusable, for example an X25519 public key of low order that yields an all-zero secret. */
export class InvalidKeyError extends E2eeError {
  constructor(message: string, options?: E2eeErrorOptions) {
    super('ERR_INVALID_KEY', message, options);
  }
}

/**
 * Every error code of the envelope layer, as listed in the error registry of spec/envelope-v1.md.
 * ERR_INVALID_ARGUMENT is the conformance name of a TypeError or RangeError from an input check.
 */
export const ERROR_CODES = Object.freeze([
  'ERR_ENVELOPE_FORMAT',
  'ERR_UNSUPPORTED_VERSION',
  'ERR_UNSUPPORTED_SUITE',
  'ERR_TOO_LARGE',
  'ERR_NOT_FOR_RECIPIENT',
  'ERR_UNKNOWN_SENDER',
  'ERR_DECRYPT',
  'ERR_DUPLICATE',
  'ERR_REPLAY',
  'ERR_PADDING',
  'ERR_INVALID_KEY',
  'ERR_INVALID_ARGUMENT',
] as const);

/** One of ERROR_CODES. */
export type ErrorCode = (typeof ERROR_CODES)[number];

function hexByte(value: number): string {
  return value.toString(16).padStart(2, '0');
}
