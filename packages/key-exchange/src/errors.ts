import { E2eeError, type E2eeErrorOptions } from '@mqtt-e2ee/envelope';

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
  | 'non-canonical-key';

/** Kind of key that failed to decode. */
export type KeyKind = 'public' | 'secret';

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
