/**
 * Error classes of the client core, shared by the Node.js and browser clients. Each class has a stable `code`. Errors raised by MQTT.js
 * are kept as `cause`. Messages name the failing value and the fix, and never contain key
 * material, passwords or plaintext.
 */
import { E2eeError, type E2eeErrorOptions } from '@mqtt-e2ee/envelope';

/** An option or argument has the wrong type. */
export class InvalidOptionError extends TypeError {
  readonly code = 'ERR_INVALID_OPTION';
  /** Path of the option, such as 'opts.qos' or 'mqtt.protocolVersion'. */
  readonly option: string;

  constructor(option: string, expected: string, got: unknown, options?: E2eeErrorOptions) {
    super(`${option} must be ${expected}, got ${describeValue(got)}.`, causeOf(options));
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}

/** An option or argument has the right type but a value outside the accepted range. */
export class OptionRangeError extends RangeError {
  readonly code = 'ERR_OPTION_RANGE';
  /** Path of the option, such as 'opts.qos' or 'opts.to'. */
  readonly option: string;

  constructor(option: string, expected: string, got: unknown, options?: E2eeErrorOptions) {
    super(`${option} must be ${expected}, got ${describeValue(got)}.`, causeOf(options));
    this.name = 'OptionRangeError';
    this.option = option;
  }
}

/** A file named by an option (TLS material or an identity key file) could not be read. */
export class OptionFileError extends E2eeError {
  /** Path of the option that named the file, such as 'tls.caFile'. */
  readonly option: string;
  /** File path as given. */
  readonly path: string;

  constructor(option: string, path: string, cause: unknown) {
    super(
      'ERR_OPTION_FILE',
      `${option}: cannot read file ${JSON.stringify(path)} (${systemReason(
        cause,
      )}); check the path and its permissions.`,
      { cause },
    );
    this.option = option;
    this.path = path;
  }
}

/**
 * The first connection to the broker failed: refused, TLS rejected, closed before CONNACK. The
 * message names the URL and what to check. For a TLS URL whose connection was reset or whose
 * handshake failed, it names a plaintext listener on that port as the likely cause.
 */
export class ConnectError extends E2eeError {
  /** Broker URL as given, without user name or password. */
  readonly brokerUrl: string;

  constructor(brokerUrl: string, cause: unknown) {
    super(
      'ERR_CONNECT',
      `Connecting to ${brokerUrl} failed: ${messageOf(cause)}. ${connectAdvice(brokerUrl, cause)}`,
      { cause },
    );
    this.brokerUrl = brokerUrl;
  }
}

/** TLS URL schemes, each with the plaintext scheme and the default port MQTT.js uses for it. */
const TLS_SCHEMES: Readonly<Record<string, { plaintext: string; defaultPort: string }>> = {
  mqtts: { plaintext: 'mqtt', defaultPort: '8883' },
  ssl: { plaintext: 'mqtt', defaultPort: '8883' },
  tls: { plaintext: 'mqtt', defaultPort: '8883' },
  wss: { plaintext: 'ws', defaultPort: '443' },
};

/** Matches the scheme and port of a broker URL. The host may be an IPv6 literal in brackets. */
const URL_SCHEME_AND_PORT = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/?#]*)(?::(\d+))?/i;

/**
 * Returns what to check after a failed first connection. When a TLS client reaches a plaintext
 * listener, the listener resets the connection, or OpenSSL reads the first bytes of its reply as
 * a record of an unknown version or an impossible length. Those errors on a TLS URL get the plaintext hint.
 * Certificate errors and TLS alerts come from a TLS server and keep the general advice.
 */
function connectAdvice(brokerUrl: string, cause: unknown): string {
  const general = 'Check the broker address, TLS settings and credentials.';
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED') return 'Check that the broker is running and listens on that host and port.';
  const match = URL_SCHEME_AND_PORT.exec(brokerUrl);
  const tls = TLS_SCHEMES[match?.[1]?.toLowerCase() ?? ''];
  if (match === null || tls === undefined || !looksLikePlaintextPeer(cause)) return general;
  const port = match[2] ?? tls.defaultPort;
  const usualPorts =
    tls.plaintext === 'mqtt' ? ' (1883 is the usual plaintext MQTT port, 8883 the usual TLS port)' : '';
  return (
    `Port ${port} may be a plaintext listener that does not speak TLS${usualPorts}. ` +
    `Use ${tls.plaintext}:// for that port, or the TLS port of the broker.`
  );
}

/** OpenSSL reasons for a reply that is not TLS, as error codes (ERR_SSL_...) and as message text. */
const NOT_TLS_REPLY = /wrong[ _]version[ _]number|packet[ _]length[ _]too[ _]long/i;

function looksLikePlaintextPeer(cause: unknown): boolean {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'ECONNRESET' || code === 'EPIPE') return true;
  const text = `${typeof code === 'string' ? code : ''} ${cause instanceof Error ? cause.message : ''}`;
  return NOT_TLS_REPLY.test(text);
}

/** The broker or MQTT.js rejected a publish, or the connection ended before its QoS flow completed. */
export class PublishError extends E2eeError {
  readonly topic: string;

  constructor(topic: string, detail: string, cause: unknown) {
    super('ERR_PUBLISH', `Publishing to ${JSON.stringify(topic)} failed: ${detail}.`, { cause });
    this.topic = topic;
  }
}

/** The broker or MQTT.js rejected a subscribe or unsubscribe request. */
export class SubscribeError extends E2eeError {
  readonly topics: readonly string[];

  constructor(action: 'subscribe' | 'unsubscribe', topics: readonly string[], cause: unknown) {
    super(
      'ERR_SUBSCRIBE',
      `${action === 'subscribe' ? 'Subscribing to' : 'Unsubscribing from'} ${JSON.stringify(
        topics,
      )} failed: ${messageOf(cause)}.`,
      { cause },
    );
    this.topics = topics;
  }
}

/**
 * The sender key id of an incoming envelope is not in the `from` list of any subscription that
 * matches the topic. The key id is checked before decryption, so the sender may also be unknown.
 */
export class SenderNotAllowedError extends E2eeError {
  /** Sender key id as 16 hex characters. */
  readonly senderKeyId: string;

  constructor(senderKeyId: string) {
    super(
      'ERR_SENDER_NOT_ALLOWED',
      `Sender key id ${senderKeyId} is not in the 'from' list of the subscriptions matching this topic. Add the sender's public key to 'from' to accept its messages.`,
    );
    this.senderKeyId = senderKeyId;
  }
}

/**
 * An envelope is larger than the client accepts (`maxMessageBytes`), or, for a publish, larger
 * than the Maximum Packet Size the broker announced in its MQTT 5 CONNACK. Outgoing envelopes are
 * checked before anything is sent; incoming ones are reported as 'decrypt-error' and never opened.
 */
export class MessageTooLargeError extends E2eeError {
  readonly direction: 'outgoing' | 'incoming';
  readonly topic: string;
  /** Size of the envelope, or of the whole PUBLISH packet for the broker limit, in bytes. */
  readonly size: number;
  /** The limit that was exceeded, in bytes. */
  readonly limit: number;

  constructor(
    direction: 'outgoing' | 'incoming',
    topic: string,
    size: number,
    limit: number,
    limitName = 'maxMessageBytes',
  ) {
    const fix =
      direction === 'outgoing'
        ? 'send a smaller payload, or raise the limit on the client and the broker'
        : 'raise maxMessageBytes if messages of this size are expected';
    super(
      'ERR_MESSAGE_TOO_LARGE',
      `${direction === 'outgoing' ? 'Outgoing' : 'Incoming'} message on ${JSON.stringify(
        topic,
      )} is ${size} bytes, more than ${limitName} (${limit} bytes); ${fix}.`,
    );
    this.direction = direction;
    this.topic = topic;
    this.size = size;
    this.limit = limit;
  }
}

/** Handling an incoming message failed with an error that is not an E2eeError (kept as `cause`). */
export class MessageHandlingError extends E2eeError {
  constructor(cause: unknown) {
    super('ERR_MESSAGE_HANDLING', `Handling an incoming message failed: ${messageOf(cause)}.`, {
      cause,
    });
  }
}

/** A description used in place of a value that must not be shown, such as a URL with a password. */
export class Described {
  constructor(readonly text: string) {}
}

/**
 * Describes a value for an error message: its type, and for short strings and numbers the value.
 * Strings that look like secret key text are never echoed.
 */
export function describeValue(value: unknown): string {
  if (value instanceof Described) return value.text;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return describeString(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (value instanceof Uint8Array) return `${value.constructor.name} of ${value.length} bytes`;
  if (Array.isArray(value)) return `array of ${value.length} items`;
  if (typeof value === 'function') return 'function';
  if (typeof value === 'object') {
    const name = Object.getPrototypeOf(value)?.constructor?.name as string | undefined;
    return name !== undefined && name !== 'Object' ? `${name} object` : 'object';
  }
  return typeof value;
}

function describeString(value: string): string {
  if (value.startsWith('mqe2e-sk1-')) return 'secret key text (not shown)';
  if (value.length > 60) {
    return `string of ${value.length} characters starting ${JSON.stringify(value.slice(0, 40))}`;
  }
  return `string ${JSON.stringify(value)}`;
}

function messageOf(error: unknown): string {
  // OpenSSL messages such as EPROTO's end with a line feed, which would split the sentence.
  if (error instanceof Error) return error.message.trim().replace(/\.$/, '');
  return String(error);
}

function systemReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : messageOf(error);
}

function causeOf(options: E2eeErrorOptions | undefined): ErrorOptions | undefined {
  return options?.cause === undefined ? undefined : { cause: options.cause };
}
