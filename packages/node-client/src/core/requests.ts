/** Validation of publish and subscribe arguments, before anything is sealed or sent. */
import type { IClientPublishOptions, IClientSubscribeOptions } from 'mqtt';
import { toHex } from './bytes.js';
import { InvalidOptionError, OptionRangeError } from './errors.js';
import type { KeyCodec } from './keys.js';
import type { SenderFilter } from './subscriptions.js';
import { checkTopicFilters, checkTopicName } from './topic.js';
import {
  checkBoolean,
  checkKnownKeys,
  checkOptionalInteger,
  checkOptionalObject,
  checkQos,
  isPlainObject,
  type QoS,
} from './validate.js';

const PUBLISH_KEYS = ['to', 'qos', 'retain', 'properties'] as const;
const SUBSCRIBE_KEYS = ['qos', 'from', 'nl', 'rap', 'rh', 'properties'] as const;

export interface PublishRequest {
  topic: string;
  payload: Uint8Array;
  /** Distinct recipient public keys, in the order given. */
  recipients: Uint8Array[];
  options: IClientPublishOptions;
}

export interface SubscribeRequest {
  topics: string[];
  senders: SenderFilter | 'any-peer';
  options: IClientSubscribeOptions;
}

/** Checks publish arguments. The payload is already converted to bytes by the caller. */
export function checkPublishRequest(
  topic: unknown,
  bytes: Uint8Array,
  opts: unknown,
  protocolVersion: number,
  keys: KeyCodec,
): PublishRequest {
  const checkedTopic = checkTopicName(topic, 'topic');
  if (!isPlainObject(opts)) {
    throw new InvalidOptionError('opts', "an object with at least 'to'", opts);
  }
  checkKnownKeys(opts, PUBLISH_KEYS, 'opts');
  const recipients = checkRecipients(opts['to'], keys);
  const qos = checkQos(opts['qos'], 'opts.qos');
  const retain = checkBoolean(opts['retain'], 'opts.retain', false);
  if (retain && recipients.length > 1) {
    throw new OptionRangeError(
      'opts.to',
      'a single recipient when opts.retain is true, because the broker keeps one retained message per topic',
      opts['to'],
    );
  }
  const properties = checkOptionalObject(opts['properties'], 'opts.properties');
  if (properties === undefined) return { topic: checkedTopic, payload: bytes, recipients, options: sharedOptions(qos, retain) };
  checkPublishProperties(properties, protocolVersion);
  return { topic: checkedTopic, payload: bytes, recipients, options: { qos, retain, properties } };
}

/**
 * Frozen publish options for each QoS and retain flag, shared by every publish without
 * properties. MQTT.js copies the options it is given, so one object serves all calls.
 */
const SHARED_OPTIONS: readonly (readonly IClientPublishOptions[])[] = [0, 1, 2].map((qos) =>
  [false, true].map((retain) => Object.freeze({ qos: qos as QoS, retain })),
);

function sharedOptions(qos: QoS, retain: boolean): IClientPublishOptions {
  return SHARED_OPTIONS[qos]?.[retain ? 1 : 0] as IClientPublishOptions;
}

function checkRecipients(to: unknown, keys: KeyCodec): Uint8Array[] {
  if (to === undefined) {
    throw new InvalidOptionError('opts.to', 'a recipient public key or an array of them', to);
  }
  // One recipient needs no duplicate check.
  if (!Array.isArray(to)) return [keys.decodePublicKeyInput(to, 'opts.to')];
  const list = to as unknown[];
  if (list.length === 0) throw new OptionRangeError('opts.to', 'at least one recipient', to);
  const seen = new Set<string>();
  const recipients: Uint8Array[] = [];
  list.forEach((input, index) => {
    const publicKey = keys.decodePublicKeyInput(input, `opts.to[${index}]`);
    const id = toHex(publicKey);
    if (seen.has(id)) return;
    seen.add(id);
    recipients.push(publicKey);
  });
  return recipients;
}

function checkPublishProperties(
  properties: Record<string, unknown>,
  protocolVersion: number,
): void {
  if (protocolVersion !== 5) {
    throw new OptionRangeError(
      'opts.properties',
      'absent unless mqtt.protocolVersion is 5, because MQTT 3.1.1 has no publish properties',
      properties,
    );
  }
  if (properties['payloadFormatIndicator'] === true) {
    throw new OptionRangeError(
      'opts.properties.payloadFormatIndicator',
      'false or absent, because the encrypted payload is binary and not UTF-8',
      true,
    );
  }
}

const CLEAR_KEYS = ['qos'] as const;

/** Checks the arguments of clearRetained, which publishes a zero-length retained payload. */
export function checkClearRequest(
  topic: unknown,
  opts: unknown,
): { topic: string; options: IClientPublishOptions } {
  const checkedTopic = checkTopicName(topic, 'topic');
  if (!isPlainObject(opts)) throw new InvalidOptionError('opts', 'an object', opts);
  checkKnownKeys(opts, CLEAR_KEYS, 'opts');
  return { topic: checkedTopic, options: { qos: checkQos(opts['qos'], 'opts.qos'), retain: true } };
}

export function checkSubscribeRequest(
  topics: unknown,
  opts: unknown,
  keys: KeyCodec,
): SubscribeRequest {
  const list = checkTopicFilters(topics, 'topics');
  if (!isPlainObject(opts)) throw new InvalidOptionError('opts', 'an object', opts);
  checkKnownKeys(opts, SUBSCRIBE_KEYS, 'opts');
  const options: IClientSubscribeOptions = { qos: checkQos(opts['qos'], 'opts.qos') };
  if (opts['nl'] !== undefined) options.nl = checkBoolean(opts['nl'], 'opts.nl', false);
  if (opts['rap'] !== undefined) options.rap = checkBoolean(opts['rap'], 'opts.rap', false);
  const rh = checkOptionalInteger(opts['rh'], 'opts.rh', 0, 2);
  if (rh !== undefined) options.rh = rh;
  const properties = checkOptionalObject(opts['properties'], 'opts.properties');
  if (properties !== undefined) options.properties = properties;
  return { topics: list, senders: checkSenders(opts['from'], keys), options };
}

function checkSenders(from: unknown, keys: KeyCodec): SenderFilter | 'any-peer' {
  if (from === undefined) return 'any-peer';
  if (!Array.isArray(from)) {
    throw new InvalidOptionError('opts.from', 'an array of sender public keys', from);
  }
  if (from.length === 0) {
    throw new OptionRangeError(
      'opts.from',
      'at least one sender (omit it to accept every peer)',
      from,
    );
  }
  const filter = new Map<string, Uint8Array[]>();
  from.forEach((input: unknown, index) => {
    const publicKey = keys.decodePublicKeyInput(input, `opts.from[${index}]`);
    const keyId = keys.keyIdHex(publicKey);
    filter.set(keyId, [...(filter.get(keyId) ?? []), publicKey]);
  });
  return filter;
}
