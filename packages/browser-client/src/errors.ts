/**
 * Error classes that only the browser client raises. Each has a stable `code`; messages name the
 * option or value and the fix, and never contain key material or plaintext.
 */
import { E2eeError, type E2eeErrorOptions } from '@mqtt-e2ee/envelope';

/**
 * An option that has no effect in a browser, such as client certificates or
 * rejectUnauthorized: the browser, not the page, decides about TLS.
 */
export class UnsupportedOptionError extends E2eeError {
  /** Path of the option, such as 'opts.mqtt.rejectUnauthorized'. */
  readonly option: string;

  constructor(option: string, reason: string) {
    super(
      'ERR_UNSUPPORTED_OPTION',
      `${option} is not supported in a browser: ${reason}. Remove it.`,
    );
    this.option = option;
  }
}

/** The page has no crypto.getRandomValues, so keys and sessions cannot be created safely. */
export class RandomSourceError extends E2eeError {
  constructor() {
    super(
      'ERR_NO_RANDOM_SOURCE',
      'crypto.getRandomValues is not available in this page; use a browser that implements the Web Crypto API.',
    );
  }
}

/** Reasons a key store operation fails. */
export type KeyStoreReason = 'unavailable' | 'not-found' | 'exists' | 'failed';

/** IndexedDB is unavailable, an identity is missing or already stored, or a request failed. */
export class KeyStoreError extends E2eeError {
  readonly reason: KeyStoreReason;

  constructor(reason: KeyStoreReason, message: string, options?: E2eeErrorOptions) {
    super('ERR_KEY_STORE', message, options);
    this.reason = reason;
  }
}

/**
 * Another client, in this tab or in another tab of the same origin, holds the exclusive Web Lock
 * of a state database. Two clients that write one replay or key exchange database would each
 * overwrite the other's windows and pins, so connectE2ee rejects the second one.
 */
export class StateInUseError extends E2eeError {
  /** Option that names the database, such as 'opts.replayStateDatabase'. */
  readonly option: string;
  /** IndexedDB database name. */
  readonly databaseName: string;
  /** Name of the Web Lock that the other client holds. */
  readonly lockName: string;

  constructor(option: string, databaseName: string, lockName: string) {
    super(
      'ERR_STATE_IN_USE',
      `The IndexedDB database ${JSON.stringify(databaseName)} (${option}) is in use by another client in this tab or another tab of this origin, which holds the Web Lock ${JSON.stringify(lockName)}. End that client or close its tab, or set ${option} to another database name.`,
    );
    this.option = option;
    this.databaseName = databaseName;
    this.lockName = lockName;
  }
}

/**
 * The WebSocket closed with a code other than a normal closure (RFC 6455 section 7.4.1), for
 * example 1009 when a frame was larger than the broker accepts. MQTT.js reconnects as set by
 * mqtt.reconnectPeriod, and this error reports why the connection ended.
 */
export class WebSocketClosedError extends E2eeError {
  /** WebSocket close code, such as 1006 or 1009. */
  readonly closeCode: number;
  readonly reason: string;

  constructor(closeCode: number, reason: string) {
    super(
      'ERR_WEBSOCKET_CLOSED',
      `The WebSocket closed with code ${closeCode}${reason === '' ? '' : ` (${reason})`}: ${describeCloseCode(closeCode)}.`,
    );
    this.closeCode = closeCode;
    this.reason = reason;
  }
}

function describeCloseCode(code: number): string {
  if (code === 1009) {
    return 'a frame was larger than the broker accepts; send smaller messages or raise the broker limit';
  }
  if (code === 1006)
    return 'the connection dropped without a close frame; check the broker and network';
  if (code === 1002 || code === 1003) return 'the broker rejected the data as a protocol error';
  return 'check the broker log';
}
