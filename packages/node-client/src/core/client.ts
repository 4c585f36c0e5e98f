/**
 * The end-to-end encrypting MQTT client, shared by the Node.js and browser entries. It works on an
 * MQTT.js client that the platform entry creates, and imports nothing platform-specific.
 */
import { keyId, PayloadTooLargeError, type EnvelopeOpener, type EnvelopeSealer, type KeyPair } from '@mqtt-e2ee/envelope';
import type {
  Announcement,
  GroupPublisherOptions,
  KeyEvent,
  KeyExchange,
  PeerKeys,
} from '@mqtt-e2ee/key-exchange';
import type {
  IClientPublishOptions,
  IClientSubscribeProperties,
  IConnackPacket,
  IPublishPacket,
  ISubscriptionGrant,
  MqttClient,
} from 'mqtt';
import { OutcomeDispatcher, type ClientStats } from './dispatch.js';
import { TypedEmitter } from './emitter.js';
import { MessageHandlingError, MessageTooLargeError, PublishError, SubscribeError } from './errors.js';
import type { KeyCodec, PublicKeyInput } from './keys.js';
import { E2eeGroup, isClientId, mapOutcome, type KxEventOutcome } from './kx.js';
import { publishPacketSize } from './limits.js';
import { publishPacket } from './mqtt-publish.js';
import { isBlob, payloadBytes, readPayload, type PublishPayload } from './payload.js';
import {
  receive,
  type DecryptFailure,
  type DuplicateMessage,
  type E2eeMessage,
  type ReceiverParts,
  type RetainedDelete,
  type SkippedEnvelope,
  type UnencryptedMessage,
} from './receiver.js';
import { checkClearRequest, checkPublishRequest, checkSubscribeRequest } from './requests.js';
import { SubscriptionRegistry } from './subscriptions.js';
import { checkTopicFilters } from './topic.js';
import type { QoS } from './validate.js';

/** Options of E2eeClient.publish. */
export interface E2eePublishOptions {
  /**
   * Recipients. Each gets its own envelope, published to the same topic, so a topic with three
   * recipients carries three messages. With key exchange, a recipient may also be a client id,
   * whose key comes from its verified announcement.
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
  /** An authenticated copy of a delivered message arrived and was dropped; not an attack. */
  duplicate: [duplicate: DuplicateMessage];
  /** With `strict: false`: a payload that is not an envelope, neither decrypted nor authenticated. */
  unencrypted: [message: UnencryptedMessage];
  /** An envelope addressed to another recipient arrived. */
  skipped: [skipped: SkippedEnvelope];
  /** A zero-length payload arrived: a retained-message delete, which is never decrypted. */
  'retained-delete': [retainedDelete: RetainedDelete];
  connect: [connack: IConnackPacket];
  reconnect: [];
  offline: [];
  close: [];
  /** An error from MQTT.js, such as a lost connection or a rejected CONNACK on reconnect. */
  error: [error: Error];
  /**
   * Key exchange only: an announcement, revocation or group key message was processed. Type
   * 'changed' is the trust-on-first-use alarm: a pinned key was replaced without a valid rotation.
   */
  key: [event: KeyEvent];
}

/** The payload type that MQTT.js publish accepts. */
export type WirePayload = Parameters<MqttClient['publishAsync']>[1];

/** Internal parts assembled by createE2eeClient. */
export interface ClientParts {
  mqtt: MqttClient;
  identity: KeyPair;
  sealer: EnvelopeSealer;
  opener: EnvelopeOpener;
  /** The same peer lookup the opener uses. */
  resolveSender: (keyId: Uint8Array) => Uint8Array[];
  /** Changes whenever the results of resolveSender may change; undefined when unknown. */
  peersRevision?: () => number;
  keys: KeyCodec;
  /** Largest envelope sent or accepted, in bytes. */
  maxMessageBytes: number;
  /** Converts an envelope to the payload type the platform's MQTT.js build sends. */
  toWire: (envelope: Uint8Array) => WirePayload;
  /** Debug log of connects, closes and rejected messages; never given payloads or keys. */
  log: (message: string) => void;
  /** False hands payloads that are not envelopes to the 'unencrypted' event. */
  strict: boolean;
  /** Resolves once saved replay state is durable, for a replay store that saves asynchronously. */
  flushReplayState?: () => Promise<void>;
  /** Key exchange, when enabled: discovery, trust, rotation and groups. */
  keyExchange?: KeyExchange<IPublishPacket>;
  /** Builds a sealer with the client's options for another own key, used after a rotation. */
  makeSealer?: (identity: KeyPair) => EnvelopeSealer;
  /** Closes the platform's state storage; end() waits for it. */
  closeState?: () => Promise<void>;
}

/**
 * MQTT client that encrypts every publish to its recipients and decrypts every incoming message.
 * The underlying MQTT.js client is available as `mqtt` for anything not wrapped here.
 */
export class E2eeClient extends TypedEmitter<E2eeClientEvents> {
  /** The MQTT.js client. Publishing through it directly sends clear text. */
  readonly mqtt: MqttClient;
  /** The local identity's public key, its key text and key id; they change when the key rotates. */
  #publicKey: Uint8Array;
  #publicKeyText: string;
  #keyId: string;

  #sealer: EnvelopeSealer;
  /** Builds a sealer for a new own key with the options of the first one, after a rotation. */
  readonly #makeSealer: ((identity: KeyPair) => EnvelopeSealer) | undefined;
  readonly #keys: KeyCodec;
  readonly #subscriptions = new SubscriptionRegistry();
  readonly #receiver: ReceiverParts;
  readonly #toWire: (envelope: Uint8Array) => WirePayload;
  readonly #log: (message: string) => void;
  readonly #dispatcher: OutcomeDispatcher;
  readonly #kx: KeyExchange<IPublishPacket> | undefined;
  readonly #closeState: (() => Promise<void>) | undefined;
  readonly #groups = new Map<string, E2eeGroup>();
  /** True once key exchange ran for the first CONNACK, so later CONNACKs restart it. */
  #kxStarted = false;
  /** Maximum Packet Size from the broker's last MQTT 5 CONNACK; undefined means no limit. */
  #brokerMaxPacketSize: number | undefined;

  constructor(parts: ClientParts) {
    super();
    this.mqtt = parts.mqtt;
    this.#publicKey = parts.identity.publicKey.slice();
    this.#publicKeyText = parts.keys.encodePublicKey(this.#publicKey);
    this.#keyId = parts.keys.keyIdHex(this.#publicKey);
    this.#sealer = parts.sealer;
    this.#makeSealer = parts.makeSealer;
    this.#keys = parts.keys;
    this.#receiver = {
      opener: parts.opener,
      ownKeyId: this.#keyId,
      ownKeyIdBytes: keyId(parts.identity.publicKey),
      resolveSender: parts.resolveSender,
      peersRevision: parts.peersRevision,
      lastSender: undefined,
      subscriptions: this.#subscriptions,
      encodePublicKey: parts.keys.encodePublicKey,
      maxMessageBytes: parts.maxMessageBytes,
    };
    this.#toWire = parts.toWire;
    this.#log = parts.log;
    this.#dispatcher = new OutcomeDispatcher({
      client: this,
      log: parts.log,
      strict: parts.strict,
      flushReplayState: parts.flushReplayState,
    });
    this.#kx = parts.keyExchange;
    this.#closeState = parts.closeState;
    this.#attach();
    this.#attachKeyExchange();
  }

  /** Public key of the local identity; after rotateKey, the new key. */
  get publicKey(): Uint8Array {
    return this.#publicKey.slice();
  }

  /** Public key of the local identity as key text, for sharing with peers. */
  get publicKeyText(): string {
    return this.#publicKeyText;
  }

  /** Key id of the local identity, 16 hex characters. */
  get keyId(): string {
    return this.#keyId;
  }

  /**
   * Counters of incoming messages: delivered, duplicates dropped, rejected (each a
   * 'decrypt-error'), skipped (for other recipients) and unencrypted (with `strict: false`).
   */
  get stats(): ClientStats {
    return this.#dispatcher.stats;
  }

  /** Key exchange of this client, or undefined when the client uses static peers only. */
  get keyExchange(): KeyExchange<IPublishPacket> | undefined {
    return this.#kx;
  }

  /**
   * Encrypts `payload` for each recipient in `opts.to` and publishes the envelopes to `topic`.
   * Resolves when the QoS flow of every envelope completes: QoS 0 once the packet is written,
   * QoS 1 on PUBACK, QoS 2 on PUBCOMP. Rejects with PublishError, keeping the MQTT.js error as
   * `cause`, when any envelope fails, and with MessageTooLargeError before anything is sent when
   * an envelope exceeds `maxMessageBytes` or the broker's Maximum Packet Size.
   */
  publish(topic: string, payload: PublishPayload, opts: E2eePublishOptions): Promise<void> {
    // Only a Blob payload and client-id recipients need an await. Everything else is checked and
    // sealed synchronously, and the returned promise is the only one created per publish.
    try {
      if (isBlob(payload)) return this.#publishResolved(topic, readPayload(payload, 'payload'), opts);
      if (this.#kx !== undefined && hasClientIds(opts)) {
        // The bytes are copied now, because the caller may reuse its buffer while the keys of
        // the client ids are looked up.
        return this.#publishResolved(topic, Promise.resolve(payloadBytes(payload, 'payload').slice()), opts);
      }
      return this.#send(topic, payloadBytes(payload, 'payload'), opts);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Publishes a Blob payload, or to client-id recipients, once the bytes and keys are resolved. */
  async #publishResolved(topic: string, payload: Promise<Uint8Array>, opts: E2eePublishOptions): Promise<void> {
    const bytes = await payload;
    const resolved = this.#kx === undefined ? opts : await this.#resolveClientIds(opts);
    return this.#send(topic, bytes, resolved);
  }

  /** Checks the request, seals one envelope per recipient and publishes them. Throws for bad input. */
  #send(topic: string, bytes: Uint8Array, opts: E2eePublishOptions): Promise<void> {
    const protocolVersion = this.mqtt.options.protocolVersion ?? 4;
    const request = checkPublishRequest(topic, bytes, opts, protocolVersion, this.#keys);
    const qos = request.options.qos ?? 0;
    const only = request.recipients.length === 1 ? request.recipients[0] : undefined;
    if (only !== undefined) {
      // One recipient, the common case: no arrays of envelopes or results.
      const envelope = this.#seal(request.topic, request.payload, only);
      this.#checkSize(request.topic, envelope.length, qos);
      return this.#publishOne(request.topic, envelope, request.options);
    }
    const envelopes = request.recipients.map((recipient) => this.#seal(request.topic, request.payload, recipient));
    for (const envelope of envelopes) this.#checkSize(request.topic, envelope.length, qos);
    return Promise.allSettled(
      envelopes.map((envelope) => this.#publishOne(request.topic, envelope, request.options)),
    ).then((results) => {
      const failures = results.filter((result) => result.status === 'rejected');
      const first = failures[0];
      if (first === undefined) return;
      const count = ` (${failures.length} of ${envelopes.length} envelopes)`;
      const cause = (first.reason as PublishError).cause;
      throw new PublishError(request.topic, `${reasonOf(cause)}${count}`, cause);
    });
  }

  /**
   * Seals one envelope. The sealer's own limit is the largest MQTT packet, and an envelope above
   * it is reported as MessageTooLargeError, the same error as for maxMessageBytes.
   */
  #seal(topic: string, payload: Uint8Array, recipient: Uint8Array): Uint8Array {
    try {
      return this.#sealer.seal(topic, payload, recipient);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) throw new MessageTooLargeError('outgoing', topic, error.size, error.limit);
      throw error;
    }
  }

  /** Publishes one envelope and settles when MQTT.js reports the end of its QoS flow. */
  #publishOne(topic: string, envelope: Uint8Array, options: IClientPublishOptions): Promise<void> {
    return publishPacket(this.mqtt, topic, this.#toWire(envelope), options, toPublishError);
  }

  /**
   * Replaces client ids in `opts.to` by the keys of their verified announcements. Without key
   * exchange the options are returned unchanged, so a client id fails as invalid key text.
   */
  async #resolveClientIds(opts: E2eePublishOptions): Promise<E2eePublishOptions> {
    const kx = this.#kx;
    if (kx === undefined || typeof opts !== 'object' || opts === null) return opts;
    const list = Array.isArray(opts.to) ? (opts.to as readonly PublicKeyInput[]) : [opts.to as PublicKeyInput];
    if (!list.some(isClientId)) return opts;
    const keys = await Promise.all(
      list.map(async (to) => (isClientId(to) ? (await kx.peer(to)).encryptionKey : to)),
    );
    return { ...opts, to: keys };
  }

  /** Returns the verified keys of a client id, waiting for its announcement (key exchange only). */
  async peer(clientId: string): Promise<PeerKeys> {
    return this.#requireKx().peer(clientId);
  }

  /**
   * Returns the group this client sends to under `options.groupId`, creating it on first use
   * (key exchange only). Later calls with the same id return the same group.
   */
  group(options: Omit<GroupPublisherOptions, 'state'>): E2eeGroup {
    const existing = this.#groups.get(options.groupId);
    if (existing !== undefined) return existing;
    const group = new E2eeGroup(this.#requireKx().group(options), this.mqtt, this.#toWire);
    this.#groups.set(options.groupId, group);
    return group;
  }

  /**
   * Rotates the own key (key exchange only): announces a new key signed by the old one. The old
   * key still opens messages during the grace period. Messages sent afterwards use the new key.
   */
  async rotateKey(): Promise<Announcement> {
    return this.#requireKx().rotate();
  }

  #requireKx(): KeyExchange<IPublishPacket> {
    if (this.#kx === undefined) {
      throw new TypeError('key exchange is not enabled: pass opts.keyExchange to connectE2ee');
    }
    return this.#kx;
  }

  /**
   * Subscribes to the key exchange topics and announces the own key. The connect flow calls it on
   * the first CONNACK, and the client calls it again on every CONNACK without a session.
   */
  async startKeyExchange(connack: IConnackPacket): Promise<void> {
    if (this.#kx === undefined) return;
    await this.#kx.start(connack.properties?.retainAvailable !== false);
    this.#kxStarted = true;
  }

  /**
   * Deletes the retained message of `topic` by publishing a zero-length retained payload (MQTT 5.0
   * section 3.3.1.3). The empty payload has no envelope: subscribers get a 'retained-delete' event.
   */
  async clearRetained(topic: string, opts: { qos?: QoS } = {}): Promise<void> {
    const request = checkClearRequest(topic, opts);
    try {
      await this.mqtt.publishAsync(request.topic, this.#toWire(new Uint8Array(0)), request.options);
    } catch (error) {
      throw new PublishError(request.topic, reasonOf(error), error);
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
   * Closes the connection and resolves once the socket is closed and the platform's state storage
   * (such as the browser's IndexedDB state databases) is closed. Without `force`, MQTT.js first
   * waits for the QoS 1 and 2 flows in progress and sends DISCONNECT.
   */
  async end(force = false): Promise<void> {
    await this.mqtt.endAsync(force);
    // With key exchange and a state file, the newest state is written once more before end resolves.
    await this.#kx?.flush();
    await this.#closeState?.();
  }

  /** Throws MessageTooLargeError when an envelope exceeds the client or broker limit. */
  #checkSize(topic: string, envelopeBytes: number, qos: QoS): void {
    const max = this.#receiver.maxMessageBytes;
    if (envelopeBytes > max) throw new MessageTooLargeError('outgoing', topic, envelopeBytes, max);
    const brokerMax = this.#brokerMaxPacketSize;
    if (brokerMax === undefined) return;
    const packetBytes = publishPacketSize(topic, envelopeBytes, qos);
    if (packetBytes > brokerMax) {
      throw new MessageTooLargeError(
        'outgoing',
        topic,
        packetBytes,
        brokerMax,
        "the broker's Maximum Packet Size",
      );
    }
  }

  #attach(): void {
    this.mqtt.on('message', (topic, payload, packet) => this.#onMessage(topic, payload, packet));
    this.mqtt.on('connect', (connack) => {
      // MQTT 5.0 section 3.2.2.3.6: the client must not send packets larger than this.
      this.#brokerMaxPacketSize = connack.properties?.maximumPacketSize;
      this.#log(`connected, session present ${String(connack.sessionPresent)}`);
      // Without a session the broker forgot the subscriptions, so key exchange subscribes again
      // and reads the retained records anew.
      if (this.#kxStarted && !connack.sessionPresent) this.#restartKeyExchange(connack);
      this.emit('connect', connack);
    });
    this.mqtt.on('reconnect', () => {
      this.#log('reconnecting');
      this.emit('reconnect');
    });
    this.mqtt.on('offline', () => this.emit('offline'));
    this.mqtt.on('close', () => {
      this.#log('connection closed');
      this.emit('close');
    });
    this.mqtt.on('error', (error) => {
      // Node's EventEmitter convention is to throw an 'error' event that has no listener, which
      // would break MQTT.js from inside its handler, so without a listener the error is only logged.
      if (this.listenerCount('error') > 0) this.emit('error', error);
      else this.#log(`MQTT error without listener: ${error.message}`);
    });
  }

  #attachKeyExchange(): void {
    const kx = this.#kx;
    if (kx === undefined) return;
    // Direct messages sent after a rotation are sealed with the new key, and the key fields show it.
    kx.events.on('rotated', (identity) => this.#useIdentity(identity));
    kx.events.on('key', (event) => {
      this.#log(`key ${event.type} ${event.clientId ?? ''} ${event.error?.code ?? ''}`);
      this.emit('key', event);
    });
    kx.onLateMessage = (outcome) => {
      if (outcome.kind === 'message') this.#emitKx(mapOutcome(outcome, outcome.message.topic, this.#subscriptions));
      else if (outcome.kind === 'error') this.#emitKx({ kind: 'error', error: Object.assign(outcome.error, { topic: '' }) });
    };
  }

  /** Switches sealing and the identity fields to a new own key. */
  #useIdentity(identity: KeyPair): void {
    if (this.#makeSealer !== undefined) this.#sealer = this.#makeSealer(identity);
    this.#publicKey = identity.publicKey.slice();
    this.#publicKeyText = this.#keys.encodePublicKey(this.#publicKey);
    this.#keyId = this.#keys.keyIdHex(this.#publicKey);
    this.#log(`sealing with the rotated key ${this.#keyId}`);
  }

  #restartKeyExchange(connack: IConnackPacket): void {
    this.startKeyExchange(connack).catch((error: unknown) => {
      this.#log(`key exchange restart failed: ${error instanceof Error ? error.message : String(error)}`);
      if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
    });
  }

  #emitKx(outcome: KxEventOutcome, payload?: Uint8Array, packet?: IPublishPacket): void {
    this.#dispatcher.dispatch(outcome, payload, packet);
  }

  #onMessage(topic: string, payload: Uint8Array, packet: IPublishPacket): void {
    const kx = this.#kx;
    if (kx !== undefined && payload.length > 0 && payload.length <= this.#receiver.maxMessageBytes) {
      try {
        this.#emitKx(mapOutcome(kx.receive(topic, payload, packet), topic, this.#subscriptions), payload, packet);
      } catch (error) {
        this.#emitKx({ kind: 'error', error: Object.assign(new MessageHandlingError(error), { topic }) });
      }
      return;
    }
    const outcome = receive(this.#receiver, topic, payload, packet);
    this.#dispatcher.dispatch(outcome, payload, packet);
  }
}

/** True when `opts.to` names a recipient by client id, which key exchange resolves first. */
function hasClientIds(opts: E2eePublishOptions): boolean {
  if (typeof opts !== 'object' || opts === null) return false;
  const to: unknown = opts.to;
  return Array.isArray(to) ? to.some(isClientId) : isClientId(to as PublicKeyInput);
}

/** Wraps an MQTT.js publish error in PublishError, keeping it as the cause. */
function toPublishError(error: Error, topic: string): PublishError {
  return new PublishError(topic, reasonOf(error), error);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\.$/, '') : String(error);
}
