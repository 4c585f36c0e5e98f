/** The end-to-end encrypting MQTT client returned by connectE2ee. */
import { EventEmitter } from 'node:events';
import { debuglog } from 'node:util';
import type { EnvelopeOpener, EnvelopeSealer, KeyPair } from '@mqtt-e2ee/envelope';
import type {
  IClientSubscribeProperties,
  IConnackPacket,
  IPublishPacket,
  ISubscriptionGrant,
  MqttClient,
} from 'mqtt';
import type { QoS } from './validate.js';
import { PublishError, SubscribeError } from './errors.js';
import { checkPublishRequest, checkSubscribeRequest } from './requests.js';
import {
  receive,
  type DecryptFailure,
  type E2eeMessage,
  type ReceiverParts,
  type SkippedEnvelope,
} from './receiver.js';
import { asBuffer } from './payload.js';
import { SubscriptionRegistry } from './subscriptions.js';
import { checkTopicFilters } from './topic.js';
import type { KeyCodec, PublicKeyInput } from './keys.js';

const log = debuglog('mqtt-e2ee');

/** Options of E2eeClient.publish. */
export interface E2eePublishOptions {
  /**
   * Recipients. Each gets its own envelope, published to the same topic, so a topic with three
   * recipients carries three messages.
   */
  to: PublicKeyInput | readonly PublicKeyInput[];
  /** QoS level of every envelope. Default 0. */
  qos?: QoS;
  /**
   * Retain flag. Only one recipient is allowed with it, because the broker keeps one retained
   * message per topic.
   */
  retain?: boolean;
  /**
   * MQTT 5 publish properties, sent in clear text with every envelope and not authenticated.
   * Needs mqtt.protocolVersion 5.
   */
  properties?: IPublishPacket['properties'];
}

/** Options of E2eeClient.subscribe. */
export interface E2eeSubscribeOptions {
  /** Maximum QoS granted for the subscription. Default 0. */
  qos?: QoS;
  /**
   * Accept messages on these topic filters only from these senders. Each must also be a known
   * peer, because `from` narrows the peers and adds none.
   */
  from?: readonly PublicKeyInput[];
  /** MQTT 5 No Local option. */
  nl?: boolean;
  /** MQTT 5 Retain As Published option. */
  rap?: boolean;
  /** MQTT 5 Retain Handling option: 0, 1 or 2. */
  rh?: number;
  /** MQTT 5 subscribe properties. */
  properties?: IClientSubscribeProperties['properties'];
}

/** Events of E2eeClient with their listener arguments. */
export interface E2eeClientEvents {
  /** A message decrypted and authenticated. */
  message: [message: E2eeMessage];
  /** An incoming message was rejected; it never reaches 'message'. */
  'decrypt-error': [error: DecryptFailure];
  /** An envelope addressed to another recipient arrived. */
  skipped: [skipped: SkippedEnvelope];
  connect: [connack: IConnackPacket];
  reconnect: [];
  offline: [];
  close: [];
  /** An error from MQTT.js, such as a lost connection or a rejected CONNACK on reconnect. */
  error: [error: Error];
}

/** Internal parts assembled by connectE2ee. */
export interface ClientParts {
  mqtt: MqttClient;
  identity: KeyPair;
  sealer: EnvelopeSealer;
  opener: EnvelopeOpener;
  /** The same peer lookup the opener uses. */
  resolveSender: (keyId: Uint8Array) => Uint8Array[];
  keys: KeyCodec;
}

/**
 * MQTT client that encrypts every publish to its recipients and decrypts every incoming message.
 * The underlying MQTT.js client is available as `mqtt` for anything not wrapped here.
 */
export class E2eeClient extends EventEmitter<E2eeClientEvents> {
  /** The MQTT.js client. Publishing through it directly sends clear text. */
  readonly mqtt: MqttClient;
  /** Public key of the local identity. */
  readonly publicKey: Uint8Array;
  /** Public key of the local identity as key text, for sharing with peers. */
  readonly publicKeyText: string;
  /** Key id of the local identity, 16 hex characters. */
  readonly keyId: string;

  readonly #sealer: EnvelopeSealer;
  readonly #keys: KeyCodec;
  readonly #subscriptions = new SubscriptionRegistry();
  readonly #receiver: ReceiverParts;
  #rejectedCount = 0;

  constructor(parts: ClientParts) {
    super();
    this.mqtt = parts.mqtt;
    this.publicKey = parts.identity.publicKey.slice();
    this.publicKeyText = parts.keys.encodePublicKey(this.publicKey);
    this.keyId = parts.keys.keyIdHex(this.publicKey);
    this.#sealer = parts.sealer;
    this.#keys = parts.keys;
    this.#receiver = {
      opener: parts.opener,
      resolveSender: parts.resolveSender,
      subscriptions: this.#subscriptions,
      encodePublicKey: parts.keys.encodePublicKey,
    };
    this.#attach();
  }

  /**
   * Encrypts `payload` for each recipient in `opts.to` and publishes the envelopes to `topic`.
   * Resolves when the QoS flow of every envelope completes: QoS 0 once the packet is written,
   * QoS 1 on PUBACK, QoS 2 on PUBCOMP. Rejects with PublishError, keeping the MQTT.js error as
   * `cause`, when any envelope fails.
   */
  async publish(
    topic: string,
    payload: string | Uint8Array,
    opts: E2eePublishOptions,
  ): Promise<void> {
    const protocolVersion = this.mqtt.options.protocolVersion ?? 4;
    const request = checkPublishRequest(topic, payload, opts, protocolVersion, this.#keys);
    const envelopes = request.recipients.map((recipient) =>
      this.#sealer.seal(request.topic, request.payload, recipient),
    );
    const results = await Promise.allSettled(
      envelopes.map((envelope) =>
        this.mqtt.publishAsync(request.topic, asBuffer(envelope), request.options),
      ),
    );
    const failures = results.filter((result) => result.status === 'rejected');
    const first = failures[0];
    if (first !== undefined) {
      const count =
        envelopes.length > 1 ? ` (${failures.length} of ${envelopes.length} envelopes)` : '';
      throw new PublishError(request.topic, `${reasonOf(first.reason)}${count}`, first.reason);
    }
  }

  /**
   * Subscribes to one or more topic filters and resolves with the grants from the SUBACK. The
   * `from` option applies to messages on these filters from now on, also to retained messages
   * that arrive before the SUBACK, and replaces the list of an earlier subscribe to the same
   * filter. Rejects with SubscribeError when the broker rejects a filter. MQTT.js 5 sends no
   * SUBSCRIBE for a filter already subscribed at the same or a higher QoS, so such a filter has
   * no grant in the result.
   */
  async subscribe(
    topics: string | readonly string[],
    opts: E2eeSubscribeOptions = {},
  ): Promise<ISubscriptionGrant[]> {
    const request = checkSubscribeRequest(topics, opts, this.#keys);
    const restore = this.#subscriptions.add(request.topics, request.senders);
    try {
      return await this.mqtt.subscribeAsync(request.topics, request.options);
    } catch (error) {
      restore();
      throw new SubscribeError('subscribe', request.topics, error);
    }
  }

  /** Unsubscribes from one or more topic filters and removes their `from` lists. */
  async unsubscribe(topics: string | readonly string[]): Promise<void> {
    const list = checkTopicFilters(topics, 'topics');
    try {
      await this.mqtt.unsubscribeAsync(list);
    } catch (error) {
      throw new SubscribeError('unsubscribe', list, error);
    }
    this.#subscriptions.remove(list);
  }

  /**
   * Closes the connection and resolves once the socket is closed. Without `force`, MQTT.js first
   * waits for the QoS 1 and 2 flows in progress and sends DISCONNECT.
   */
  async end(force = false): Promise<void> {
    await this.mqtt.endAsync(force);
  }

  #attach(): void {
    this.mqtt.on('message', (topic, payload, packet) => this.#onMessage(topic, payload, packet));
    this.mqtt.on('connect', (connack) => {
      log('connected, session present %s', connack.sessionPresent);
      this.emit('connect', connack);
    });
    this.mqtt.on('reconnect', () => {
      log('reconnecting');
      this.emit('reconnect');
    });
    this.mqtt.on('offline', () => this.emit('offline'));
    this.mqtt.on('close', () => {
      log('connection closed');
      this.emit('close');
    });
    this.mqtt.on('error', (error) => {
      // EventEmitter throws an 'error' event that has no listener, which would crash the process
      // from inside MQTT.js, so without a listener the error is only logged.
      if (this.listenerCount('error') > 0) this.emit('error', error);
      else log('MQTT error without listener: %s', error.message);
    });
  }

  #onMessage(topic: string, payload: Uint8Array, packet: IPublishPacket): void {
    const outcome = receive(this.#receiver, topic, payload, packet);
    if (outcome.kind === 'message') {
      this.emit('message', outcome.message);
    } else if (outcome.kind === 'skipped') {
      this.emit('skipped', outcome.skipped);
    } else {
      this.#rejectedCount++;
      log('rejected incoming message %d: %s', this.#rejectedCount, outcome.error.code);
      this.emit('decrypt-error', outcome.error);
    }
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\.$/, '') : String(error);
}
