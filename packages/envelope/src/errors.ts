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

/** The sequence number was already accepted in this session, or is older than the replay window. */
export class ReplayError extends E2eeError {
  /** Rejected sequence number. */
  readonly seq: bigint;

  constructor(seq: bigint, reason: 'duplicate' | 'too old', options?: E2eeErrorOptions) {
    const detail =
      reason === 'duplicate'
        ? 'was already accepted in this session'
        : 'is older than the replay window of this session';
    super('ERR_REPLAY', `Replayed message rejected: sequence number ${seq} ${detail}.`, options);
    this.seq = seq;
  }
}

/** A key is unusable, for example an X25519 public key of low order that yields an all-zero secret. */
export class InvalidKeyError extends E2eeError {
  constructor(message: string, options?: E2eeErrorOptions) {
    super('ERR_INVALID_KEY', message, options);
  }
}

function hexByte(value: number): string {
  return value.toString(16).padStart(2, '0');
}
