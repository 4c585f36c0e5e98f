import { UsageError } from './errors.js';

/** MQTT protocol levels as MQTT.js numbers them: 3 = 3.1, 4 = 3.1.1, 5 = 5.0. */
export type ProtocolVersion = 3 | 4 | 5;
export type Qos = 0 | 1 | 2;

/** Parses a whole decimal number in [min, max]; `flag` names the option in the error. */
export function parseInteger(flag: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`invalid value for ${flag}: expected a whole number from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

export function parsePort(flag: string, text: string): number {
  return parseInteger(flag, text, 1, 65535);
}

export function parseQos(flag: string, text: string): Qos {
  return parseInteger(flag, text, 0, 2) as Qos;
}

/** Parses a keepalive in seconds. A keepalive of 0 turns the keepalive mechanism off. */
export function parseKeepalive(flag: string, text: string): number {
  return parseInteger(flag, text, 0, 65535);
}

const PROTOCOL_VERSIONS: Readonly<Record<string, ProtocolVersion>> = {
  mqttv31: 3,
  '31': 3,
  mqttv311: 4,
  '311': 4,
  mqttv5: 5,
  '5': 5,
};

/** Parses the mosquitto spellings of the protocol version: mqttv31, mqttv311, mqttv5, 31, 311, 5. */
export function parseProtocolVersion(flag: string, text: string): ProtocolVersion {
  const version = PROTOCOL_VERSIONS[text.toLowerCase()];
  if (version === undefined) {
    throw new UsageError(
      `invalid value for ${flag}: expected mqttv31, mqttv311 or mqttv5 (or 31, 311, 5), got '${text}'`,
    );
  }
  return version;
}

/** Largest timeout setTimeout accepts, in seconds (2^31 - 1 ms). */
const MAX_TIMEOUT_SECONDS = 2_147_483;

/** Parses a positive number of seconds; fractions such as 0.5 are allowed. */
export function parseSeconds(flag: string, text: string): number {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(value > 0 && value <= MAX_TIMEOUT_SECONDS)) {
    throw new UsageError(
      `invalid value for ${flag}: expected a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}, got '${text}'`,
    );
  }
  return value;
}

/** Describes a protocol version the way the help text and debug output spell it. */
export function protocolVersionName(version: ProtocolVersion): string {
  if (version === 3) return 'MQTT 3.1';
  if (version === 4) return 'MQTT 3.1.1';
  return 'MQTT 5.0';
}
