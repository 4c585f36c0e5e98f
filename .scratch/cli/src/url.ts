import { UsageError } from './errors.js';

export type BrokerProtocol = 'mqtt' | 'mqtts' | 'ws' | 'wss';

/** The parts of a `-L` URL: mqtt(s)://[user[:password]@]host[:port]/topic, or ws(s):// in the same form. */
export interface BrokerUrl {
  protocol: BrokerProtocol;
  host: string;
  port?: number;
  username?: string;
  password?: string;
  /** Text after the first `/` following the host, taken as is so that `#` and `+` stay wildcards. */
  topic?: string;
}

const DEFAULT_PORTS: Readonly<Record<BrokerProtocol, number>> = {
  mqtt: 1883,
  mqtts: 8883,
  ws: 80,
  wss: 443,
};

/** Returns the port a protocol uses when none is given. */
export function defaultPort(protocol: BrokerProtocol): number {
  return DEFAULT_PORTS[protocol];
}

export function isTlsProtocol(protocol: BrokerProtocol): boolean {
  return protocol === 'mqtts' || protocol === 'wss';
}

const URL_SHAPE = /^(mqtts?|wss?):\/\/([^/]*)(?:\/(.*))?$/is;

/**
 * Parses the `-L` URL. User name and password are percent-decoded, so `@`, `:`
 * and `/` inside them must be written as %40, %3A and %2F. The topic is not
 * decoded, because `#` would otherwise start a URL fragment.
 */
export function parseBrokerUrl(flag: string, text: string): BrokerUrl {
  const match = URL_SHAPE.exec(text);
  const scheme = match?.[1];
  const authority = match?.[2];
  if (scheme === undefined || authority === undefined || authority === '') {
    throw new UsageError(
      `invalid value for ${flag}: expected mqtt://, mqtts://, ws:// or wss:// followed by [user[:password]@]host[:port]/topic, got '${redactUrl(text)}'`,
    );
  }
  const protocol = scheme.toLowerCase() as BrokerProtocol;
  let parsed: URL;
  try {
    // The authority alone goes through the WHATWG URL parser, which checks IPv6 literals and ports.
    // A non-special scheme keeps an explicit port 80 or 443 instead of dropping it as a default.
    parsed = new URL(`mqtt://${authority}`);
  } catch (error) {
    throw new UsageError(`invalid value for ${flag}: the host part of '${redactUrl(text)}' is not a valid host[:port]`, {
      cause: error,
    });
  }
  const url: BrokerUrl = { protocol, host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') };
  if (parsed.port !== '') url.port = Number(parsed.port);
  if (parsed.username !== '') url.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') url.password = decodeURIComponent(parsed.password);
  const topic = match?.[3];
  if (topic !== undefined && topic !== '') url.topic = topic;
  return url;
}

/** Replaces the password of a URL with `***` so that it can appear in messages. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z]+:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}
