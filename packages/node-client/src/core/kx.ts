/**
 * Key exchange in the client (spec/key-exchange-v1.md): the MQTT.js transport of KeyExchange,
 * the mapping of its outcomes to E2eeClient events, and the group publisher handle.
 */
import {
  NAME_REGEXP,
  type GroupPublisher,
  type KeyExchange,
  type KeyExchangeTransport,
  type PreparedGroupMessage,
  type ReceiveOutcome,
} from '@mqtt-e2ee/key-exchange';
import type { IClientPublishOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { DecryptFailure, E2eeMessage, SkippedEnvelope } from './receiver.js';
import { SenderNotAllowedError } from './errors.js';
import { publishPacket } from './mqtt-publish.js';
import { filterAllows, type SubscriptionRegistry } from './subscriptions.js';
import type { QoS } from './validate.js';
import type { RetainUnavailableMode, TrustPolicy } from '@mqtt-e2ee/key-exchange';

/** Key exchange options that the Node.js and browser clients share. */
export interface KeyExchangeBaseOptions {
  /** Client id announced for this client: 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'. */
  clientId: string;
  /** Trust policy: 'pin', 'tofu', 'anchor' or 'insecure' (tests only). */
  policy: TrustPolicy;
  /** Topic prefix of the key exchange records. Default 'e2ee/v1'. */
  prefix?: string;
  /** Pinned signing keys per client id: 64-hex fingerprints or "mqe2e-sp1-…" texts. */
  pins?: Record<string, string | readonly string[]>;
  /** Grace period in milliseconds after a rotation. Default 10 minutes. */
  graceMs?: number;
  /** Validity of the own announcements in milliseconds. Default 7 days. */
  validityMs?: number;
  /** How long publish waits for a recipient's announcement, in milliseconds. Default 5000. */
  discoveryTimeoutMs?: number;
  /** Behaviour on brokers without retained messages: 'fail' (default) or 'request'. */
  retainUnavailable?: RetainUnavailableMode;
}

/** Builds the KeyExchange transport on an MQTT.js client. SUBACK failure codes come back as codes. */
export function mqttTransport(mqtt: MqttClient, toWire: (bytes: Uint8Array) => Parameters<MqttClient['publishAsync']>[1]): KeyExchangeTransport {
  return {
    publish: async (topic, payload, { qos, retain }) => {
      await mqtt.publishAsync(topic, toWire(payload), { qos, retain });
    },
    subscribe: async (filters, qos) => {
      try {
        const grants = await mqtt.subscribeAsync([...filters], { qos });
        // MQTT.js sends no SUBSCRIBE for a filter it already holds, so such a filter has no grant
        // and counts as granted.
        return filters.map((filter) => grants.find((grant) => grant.topic === filter)?.qos ?? qos);
      } catch (error) {
        // MQTT.js rejects when a SUBACK code has bit 0x80 set and keeps the packet on the error.
        const granted = (error as { packet?: { granted?: unknown } }).packet?.granted;
        if (Array.isArray(granted)) return granted as number[];
        throw error;
      }
    },
  };
}

/** Returns whether a recipient string is a client id (resolved by discovery) and not key text. */
export function isClientId(value: unknown): value is string {
  return typeof value === 'string' && !value.startsWith('mqe2e-') && NAME_REGEXP.test(value);
}

/** Event outcome of one message that went through KeyExchange. */
export type KxEventOutcome =
  | { kind: 'none' }
  | { kind: 'message'; message: E2eeMessage }
  | { kind: 'skipped'; skipped: SkippedEnvelope }
  | { kind: 'error'; error: DecryptFailure };

/**
 * Converts a KeyExchange outcome to the client's message, skipped or error outcome. The outcome
 * carries the sender's key and the key ids of a skipped envelope, so this looks nothing up and
 * parses no header. `kx` and `payload` are not read.
 */
export function mapOutcome(
  outcome: ReceiveOutcome<IPublishPacket>,
  topic: string,
  subscriptions: SubscriptionRegistry,
): KxEventOutcome {
  if (outcome.kind === 'control' || outcome.kind === 'pending') return { kind: 'none' };
  if (outcome.kind === 'skipped') {
    // KeyExchange skips only direct envelopes addressed to another key, or empty payloads.
    const ids = outcome.keyIds ?? { recipientKeyId: '', senderKeyId: '' };
    return { kind: 'skipped', skipped: { topic, recipientKeyId: ids.recipientKeyId, senderKeyId: ids.senderKeyId } };
  }
  if (outcome.kind === 'error') return { kind: 'error', error: Object.assign(outcome.error, { topic }) };

  const { message, meta: packet } = outcome;
  const senderKey = message.senderKey;
  const keyId = senderKey?.keyId ?? '';
  const allowed = subscriptions.allowedSenders(topic);
  if (allowed !== 'any-peer' && (senderKey === undefined || !filterAllows(allowed, keyId, senderKey.publicKey))) {
    // The plaintext shares its block with delivered messages, so a refused one is wiped.
    message.plaintext.fill(0);
    return { kind: 'error', error: Object.assign(new SenderNotAllowedError(keyId), { topic }) };
  }

  const sender: E2eeMessage['sender'] = {
    keyId,
    publicKey: senderKey?.publicKey ?? new Uint8Array(0),
    publicKeyText: senderKey?.publicKeyText ?? '',
  };
  if (message.sender !== undefined) sender.clientId = message.sender;
  const result: E2eeMessage = {
    topic,
    payload: message.plaintext,
    sender,
    qos: packet.qos,
    retain: packet.retain,
    seq: message.seq,
  };
  if (message.groupId !== undefined) result.group = message.groupId;
  if (packet.properties !== undefined) result.properties = packet.properties;
  return { kind: 'message', message: result };
}

/** Options of E2eeGroup.publish. */
export interface E2eeGroupPublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: IPublishPacket['properties'];
}

/**
 * One group this client sends to: each publish is encrypted once for all members. Membership
 * changes start a new epoch, so removed members read nothing new.
 */
export class E2eeGroup {
  readonly #publisher: GroupPublisher;
  readonly #mqtt: MqttClient;
  readonly #toWire: (bytes: Uint8Array) => Parameters<MqttClient['publishAsync']>[1];

  constructor(publisher: GroupPublisher, mqtt: MqttClient, toWire: (bytes: Uint8Array) => Parameters<MqttClient['publishAsync']>[1]) {
    this.#publisher = publisher;
    this.#mqtt = mqtt;
    this.#toWire = toWire;
  }

  get groupId(): string {
    return this.#publisher.groupId;
  }

  /** Current member client ids. */
  members(): string[] {
    return this.#publisher.sender.members();
  }

  /**
   * Encrypts `payload` once and publishes it on `topic`, which must match one of the group's
   * topic filters. Key messages of a new epoch are published first.
   */
  publish(topic: string, payload: Uint8Array, opts: E2eeGroupPublishOptions = {}): Promise<void> {
    let prepared: PreparedGroupMessage;
    try {
      prepared = this.#publisher.prepare(topic, payload);
    } catch (error) {
      return Promise.reject(error);
    }
    const options: IClientPublishOptions = { qos: opts.qos ?? 0, retain: opts.retain === true };
    if (opts.properties !== undefined) options.properties = opts.properties;
    // Without key messages to deliver first, the publish promise is the only one created.
    const keysDelivered = prepared.keysDelivered;
    if (keysDelivered === undefined) return this.#send(topic, prepared.envelope, options);
    return keysDelivered.then(() => this.#send(topic, prepared.envelope, options));
  }

  /** Publishes one envelope and settles when MQTT.js reports the end of its QoS flow, with the MQTT.js error on failure. */
  #send(topic: string, envelope: Uint8Array, options: IClientPublishOptions): Promise<void> {
    return publishPacket(this.#mqtt, topic, this.#toWire(envelope), options, keepError);
  }

  async setMembers(members: readonly string[]): Promise<void> {
    await this.#publisher.setMembers(members);
  }

  async addMember(member: string): Promise<void> {
    await this.#publisher.addMember(member);
  }

  async removeMember(member: string): Promise<void> {
    await this.#publisher.removeMember(member);
  }

  /** Starts a new epoch now. */
  async rotate(): Promise<void> {
    await this.#publisher.rotate();
  }
}

/** Rejects a group publish with the MQTT.js error itself. */
function keepError(error: Error): Error {
  return error;
}
