import { E2eeError, type E2eeErrorOptions } from '@mqtt-e2ee/envelope';

export { E2eeError };

/** Reason a key text was rejected, as a stable string that callers and tests can switch on. */
export type KeyFormatReason =
  | 'type'
  | 'prefix'
  | 'whitespace'
  | 'padding'
  | 'alphabet'
  | 'length'
  | 'non-canonical-base64'
  | 'checksum'
  | 'low-order'
  | 'non-canonical-key'
  | 'invalid-point';

/** Kind of key that failed to decode. */
export type KeyKind =
  | 'public'
  | 'secret'
  | 'signing-public'
  | 'signing-secret'
  | 'anchor-public'
  | 'anchor-secret';

/**
 * A key text or raw key is malformed or unusable. The message names the problem and the fix; it
 * never contains secret key material, and secret key texts are never echoed.
 */
export class KeyFormatError extends E2eeError {
  /** Stable reason for the failure. */
  readonly reason: KeyFormatReason;
  /** Kind of key that was being decoded. */
  readonly keyKind: KeyKind;

  constructor(keyKind: KeyKind, reason: KeyFormatReason, message: string, options?: E2eeErrorOptions) {
    super('ERR_KEY_FORMAT', message, options);
    this.reason = reason;
    this.keyKind = keyKind;
  }
}

/** Reason a key file was rejected, as a stable string. */
export type KeyFileReason = 'exists' | 'not-a-file' | 'too-large' | 'content' | 'path';

/** A key file exists where a new one should go, is not a regular file, is too large or has no single key line. */
export class KeyFileError extends E2eeError {
  /** Path of the file. */
  readonly path: string;
  /** Stable reason for the failure. */
  readonly reason: KeyFileReason;

  constructor(path: string, reason: KeyFileReason, message: string, options?: E2eeErrorOptions) {
    super('ERR_KEY_FILE', message, options);
    this.path = path;
    this.reason = reason;
  }
}

/** A secret key file can be read or written by group or others. */
export class KeyFilePermissionError extends E2eeError {
  /** Path of the secret key file. */
  readonly path: string;
  /** Permission bits found on the file, such as 0o644. */
  readonly mode: number;

  constructor(path: string, mode: number, options?: E2eeErrorOptions) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    super(
      'ERR_KEY_FILE_PERMISSIONS',
      `Secret key file ${path} has mode ${octal}, so group or others can access it. ` +
        `Run \`chmod 600 ${path}\` and make sure the key has not been copied elsewhere.`,
      options,
    );
    this.path = path;
    this.mode = mode & 0o777;
  }
}

/** Kind of signed record that failed verification. */
export type KeyRecordKind = 'announcement' | 'endorsement' | 'revocation' | 'group-keys';

/** Stable reason why a signed record was rejected. */
export type KeyRecordReason =
  | 'malformed'
  | 'signature'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-topic'
  | 'wrong-prefix'
  | 'rollback'
  | 'equivocation'
  | 'untrusted'
  | 'rotation'
  | 'endorsement'
  | 'conflict';

/**
 * A key announcement, endorsement, revocation or group key message was rejected before any of
 * its keys were used. `reason` is the stable cause, and the message names the client id and the fix.
 */
export class KeyRecordError extends E2eeError {
  readonly recordKind: KeyRecordKind;
  readonly reason: KeyRecordReason;
  /** Client id the record claims, when it could be read. */
  readonly clientId: string | undefined;

  constructor(
    recordKind: KeyRecordKind,
    reason: KeyRecordReason,
    clientId: string | undefined,
    message: string,
    options?: E2eeErrorOptions,
  ) {
    super('ERR_KEY_RECORD', message, options);
    this.recordKind = recordKind;
    this.reason = reason;
    this.clientId = clientId;
  }
}

/**
 * A pinned key was replaced by a key that no valid rotation or endorsement links to it. Under trust
 * on first use this is the alarm: the new key is not used until an operator checks it.
 */
export class KeyChangedError extends E2eeError {
  readonly clientId: string;
  /** Fingerprint of the pinned signing key, 64 hex characters. */
  readonly pinnedFingerprint: string;
  /** Fingerprint of the rejected signing key, 64 hex characters. */
  readonly offeredFingerprint: string;

  constructor(clientId: string, pinnedFingerprint: string, offeredFingerprint: string) {
    super(
      'ERR_KEY_CHANGED',
      `Key of client ${JSON.stringify(clientId)} changed without a valid rotation: pinned signing key ` +
        `${pinnedFingerprint.slice(0, 16)}, offered ${offeredFingerprint.slice(0, 16)}. The new key is rejected. ` +
        'Verify the new fingerprint out of band, then pin it or remove the old pin.',
    );
    this.clientId = clientId;
    this.pinnedFingerprint = pinnedFingerprint;
    this.offeredFingerprint = offeredFingerprint;
  }
}

/** A key was revoked by a trust anchor, so nothing is encrypted to it or accepted from it. */
export class KeyRevokedError extends E2eeError {
  readonly clientId: string | undefined;
  /** X25519 key id of the revoked key, 16 hex characters. */
  readonly keyId: string;

  constructor(clientId: string | undefined, keyId: string, options?: E2eeErrorOptions) {
    const owner = clientId === undefined ? '' : ` of client ${JSON.stringify(clientId)}`;
    super(
      'ERR_KEY_REVOKED',
      `Key ${keyId}${owner} is revoked by a trust anchor: the client must announce a new endorsed key.`,
      options,
    );
    this.clientId = clientId;
    this.keyId = keyId;
  }
}

/**
 * A key is past its validity or past the grace period after its rotation. Messages sealed to or
 * by it are rejected.
 */
export class KeyExpiredError extends E2eeError {
  /** Key id (X25519) of the expired key, 16 hex characters. */
  readonly keyId: string;
  /** Time in milliseconds since the Unix epoch after which the key was no longer accepted. */
  readonly expiredAt: number;

  constructor(keyId: string, expiredAt: number, detail: string, options?: E2eeErrorOptions) {
    super(
      'ERR_KEY_EXPIRED',
      `Key ${keyId} expired at ${new Date(expiredAt).toISOString()} (${detail}): the message was sealed with a ` +
        'retired key, so the sender must re-send it with the current key.',
      options,
    );
    this.keyId = keyId;
    this.expiredAt = expiredAt;
  }
}

/** No verified key announcement is known for a client id. */
export class UnknownPeerError extends E2eeError {
  readonly clientId: string;
  /** Rejection of the last announcement of this client, if any. */
  readonly lastRejection: E2eeError | undefined;

  constructor(clientId: string, detail: string, lastRejection?: E2eeError) {
    const extra = lastRejection === undefined ? '' : ` Last announcement rejected: ${lastRejection.message}`;
    super(
      'ERR_UNKNOWN_PEER',
      `No verified key for client ${JSON.stringify(clientId)}: ${detail}.${extra}`,
      lastRejection === undefined ? undefined : { cause: lastRejection },
    );
    this.clientId = clientId;
    this.lastRejection = lastRejection;
  }
}

/** A group envelope names an epoch whose key this member does not have. */
export class UnknownEpochError extends E2eeError {
  /** Epoch id, 16 hex characters. */
  readonly epochId: string;

  constructor(epochId: string) {
    super(
      'ERR_UNKNOWN_EPOCH',
      `No key for group epoch ${epochId}: this client is not a member of that epoch, or its key message ` +
        'has not arrived yet on the inbox topic.',
    );
    this.epochId = epochId;
  }
}

/** The broker refused a subscription (SUBACK reason code 0x80 or above), for example by its ACL. */
export class NotAuthorizedError extends E2eeError {
  readonly topic: string;
  /** SUBACK reason code, such as 0x80 (unspecified error) or 0x87 (not authorized). */
  readonly reasonCode: number;

  constructor(topic: string, reasonCode: number) {
    super(
      'ERR_NOT_AUTHORIZED',
      `Broker refused the subscription to ${JSON.stringify(topic)} (SUBACK reason code 0x${reasonCode
        .toString(16)
        .padStart(2, '0')}): the client is not authorized to read it. Grant read access in the broker ACL.`,
    );
    this.topic = topic;
    this.reasonCode = reasonCode;
  }
}

/** The broker does not support retained messages, which key discovery relies on. */
export class RetainUnavailableError extends E2eeError {
  constructor() {
    super(
      'ERR_RETAIN_UNAVAILABLE',
      'Broker does not support retained messages (CONNACK Retain Available is 0), so key announcements ' +
        'cannot be discovered: use a broker with retained messages, or pass the option ' +
        "retainUnavailable: 'republish' to re-announce keys on request instead.",
    );
  }
}
