/**
 * KeyExchange: key discovery, trust, rotation and groups over any MQTT client
 * (spec/key-exchange-v1.md, "Client behaviour"). It has no MQTT code of its own: the caller passes
 * a transport that publishes and subscribes, and feeds every received message to `receive`.
 */
import {
  E2eeError,
  EnvelopeFormatError,
  EnvelopeSealer,
  UnknownSenderError,
  nobleProvider,
  parseHeader,
  type CryptoProvider,
} from '@mqtt-e2ee/envelope';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { encodeAnnouncement, equal, type Announcement } from './announcement.js';
import type { KeyDirectory, PeerKeys, SenderKeyStatus } from './directory.js';
import {
  KeyChangedError,
  KeyRevokedError,
  NotAuthorizedError,
  RetainUnavailableError,
  UnknownEpochError,
  UnknownPeerError,
} from './errors.js';
import { Listeners } from './events.js';
import { GroupPublisher, type GroupPublisherOptions, type GroupHost } from './group-publisher.js';
import type { GroupReceiver } from './group-receiver.js';
import { envelopeKind } from './group-wire.js';
import type { DeviceIdentity } from './identity.js';
import { encodePublicKey } from './keytext.js';
import type { LocalKeys } from './local-keys.js';
import type {
  KeyEvent,
  KeyExchangeEvents,
  KeyExchangeOptions,
  KeyExchangeTransport,
  ReceiveOutcome,
  ReceivedMessage,
  RetainUnavailableMode,
  SenderKey,
} from './engine-types.js';
import type { KeyExchangeStateParts } from './state.js';

export type * from './engine-types.js';
import { announcementTopic, controlFilters, discoveryTopic, parseControlTopic } from './topics.js';

/** A sender key status from the directory, with its key text once a message needed it. */
interface CachedSenderKey {
  readonly status: SenderKeyStatus;
  publicKeyText: string | undefined;
}

/** The peerStatus result for a group sender (undefined: no announcement), with its key text once needed. */
interface CachedGroupSender {
  readonly status: ReturnType<KeyDirectory['peerStatus']>;
  publicKeyText: string | undefined;
}

interface Pending<M> {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly meta: M;
  readonly at: number;
}

const MAX_PENDING = 256;
const PENDING_TTL_MS = 30_000;
const REANNOUNCE_INTERVAL_MS = 1000;
/** Delay between the first group message after a save and the 'state' event that saves its replay window. */
export const GROUP_WINDOW_SAVE_DELAY_MS = 1000;

/** Key exchange for one client. M is the per-message metadata the caller passes through. */
export class KeyExchange<M = undefined> {
  readonly events = new Listeners<KeyExchangeEvents>();
  readonly local: LocalKeys;
  readonly directory: KeyDirectory;
  readonly groups: GroupReceiver;
  readonly #transport: KeyExchangeTransport;
  readonly #provider: CryptoProvider;
  readonly #mode: RetainUnavailableMode;
  readonly #qos: 0 | 1;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #publishers = new Map<string, GroupPublisher>();
  readonly #savedGroups: NonNullable<KeyExchangeStateParts['groupsSent']>;
  #sealer: EnvelopeSealer;
  #retain = true;
  #pendingData: Pending<M>[] = [];
  #pendingInbox: Pending<undefined>[] = [];
  #lastReannounce = 0;
  #waiters = new Set<() => void>();
  readonly #persistRotation: ((identity: DeviceIdentity) => Promise<void>) | undefined;
  readonly #flushers: (() => Promise<void>)[] = [];
  /** Pending 'state' event after group messages changed replay windows, or undefined. */
  #windowSave: ReturnType<typeof setTimeout> | undefined;
  /** Start of every control topic, `prefix/`. */
  readonly #controlRoot: string;
  /**
   * Directory results about message senders, by sender key id (direct) and by client id (group).
   * They are valid for one directory revision, so both maps are cleared when it changes. The
   * clock is checked against the cached times on every message.
   */
  readonly #directSenders = new Map<string, CachedSenderKey>();
  readonly #groupSenders = new Map<string, CachedGroupSender>();
  #sendersRevision = -1;

  constructor(options: KeyExchangeOptions) {
    this.#transport = options.transport;
    this.local = options.local;
    this.directory = options.directory;
    this.groups = options.groups;
    this.#provider = options.provider ?? nobleProvider;
    this.#mode = options.retainUnavailable ?? 'fail';
    this.#qos = options.qos ?? 1;
    this.#timeoutMs = options.discoveryTimeoutMs ?? 5000;
    this.#now = options.now ?? Date.now;
    this.#savedGroups = { ...(options.groupsSent ?? {}) };
    this.#persistRotation = options.persistRotation;
    this.#sealer = new EnvelopeSealer({ identity: this.local.identity, provider: this.#provider });
    this.#controlRoot = `${this.directory.prefix}/`;
    this.directory.onStateChange(() => this.events.emit('state'));
    this.local.onStateChange(() => this.events.emit('state'));
  }

  /** Client id of this client. */
  get clientId(): string {
    return this.local.clientId;
  }

  /** Whether records are published retained (false after start found no retain support). */
  get retain(): boolean {
    return this.#retain;
  }

  /**
   * Subscribes to the key exchange topics and announces the own key. Call it after every
   * connection without a session (CONNACK sessionPresent false), with the CONNACK's Retain
   * Available flag. Raises RetainUnavailableError in 'fail' mode without retain support and
   * NotAuthorizedError when the broker refuses a subscription.
   */
  async start(retainAvailable = true): Promise<void> {
    if (!retainAvailable && this.#mode === 'fail') throw new RetainUnavailableError();
    this.#retain = retainAvailable;
    const filters = controlFilters(this.directory.prefix, this.clientId);
    if (!retainAvailable) filters.push(discoveryTopic(this.directory.prefix));
    await this.subscribeChecked(filters, this.#qos);
    await this.announce();
    if (!retainAvailable) await this.#requestRecords();
  }

  /** Subscribes and raises NotAuthorizedError for the first filter the broker refused. */
  async subscribeChecked(filters: readonly string[], qos: 0 | 1): Promise<readonly number[]> {
    const codes = await this.#transport.subscribe(filters, qos);
    codes.forEach((code, index) => {
      if (code >= 0x80) throw new NotAuthorizedError(filters[index] as string, code);
    });
    return codes;
  }

  /** Publishes the current announcement of the own key. */
  async announce(): Promise<Announcement> {
    const announcement = this.local.announcement();
    const topic = announcementTopic(this.directory.prefix, this.clientId);
    await this.#transport.publish(topic, encodeAnnouncement(announcement), { qos: this.#qos, retain: this.#retain });
    return announcement;
  }

  /**
   * Rotates the own key: signs a rotation link with the old key, announces the new key and keeps
   * the old one for incoming messages during the grace period. Emits 'rotated' so the caller can
   * write the new identity to its key file.
   */
  async rotate(next?: DeviceIdentity): Promise<Announcement> {
    const announcement = next === undefined ? this.local.rotate() : this.local.rotate(next);
    this.#sealer = new EnvelopeSealer({ identity: this.local.identity, provider: this.#provider });
    await this.#persistRotation?.(this.local.identity);
    this.events.emit('rotated', this.local.identity, announcement);
    await this.announce();
    for (const publisher of this.#publishers.values()) await publisher.redistribute();
    return announcement;
  }

  /**
   * Returns the verified keys of `clientId`, waiting up to the discovery timeout for its
   * announcement. Raises the rejection of its announcement (KeyRecordError, KeyChangedError,
   * KeyRevokedError) as soon as one is known, and UnknownPeerError on timeout.
   */
  async peer(clientId: string, timeoutMs = this.#timeoutMs): Promise<PeerKeys> {
    const deadline = this.#now() + timeoutMs;
    let requested = false;
    for (;;) {
      const found = this.#tryPeer(clientId);
      if (found !== undefined) return found;
      if (!this.#retain && !requested) {
        requested = true;
        await this.#requestRecords();
      }
      const left = deadline - this.#now();
      if (left <= 0) {
        throw new UnknownPeerError(clientId, `no announcement arrived on ${announcementTopic(this.directory.prefix, clientId)} within ${timeoutMs} ms`);
      }
      await this.#waitForChange(left);
    }
  }

  #tryPeer(clientId: string): PeerKeys | undefined {
    // After a trust-on-first-use alarm nothing more is sent to the client, even to its pinned
    // key, until the pinned key announces again or an operator resolves the alarm.
    const alarm = this.directory.lastRejection(clientId);
    if (alarm instanceof KeyChangedError) throw alarm;
    try {
      return this.directory.peer(clientId);
    } catch (error) {
      if (error instanceof KeyRevokedError) throw error;
      const rejection = this.directory.lastRejection(clientId);
      if (rejection !== undefined) throw rejection;
      return undefined;
    }
  }

  #waitForChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Seals `plaintext` for `clientId` in a direct envelope bound to `topic`, after discovering its key. */
  async sealFor(clientId: string, topic: string, plaintext: Uint8Array): Promise<Uint8Array> {
    const peer = await this.peer(clientId);
    return this.#sealer.seal(topic, plaintext, peer.encryptionKey);
  }

  /** Seals for a verified public key without discovery. */
  sealTo(publicKey: Uint8Array, topic: string, plaintext: Uint8Array): Uint8Array {
    return this.#sealer.seal(topic, plaintext, publicKey);
  }

  /** Creates (or returns) the publisher of a group that this client sends to. */
  group(options: Omit<GroupPublisherOptions, 'state'>): GroupPublisher {
    const existing = this.#publishers.get(options.groupId);
    if (existing !== undefined) return existing;
    const saved = this.#savedGroups[options.groupId];
    const publisher = new GroupPublisher(this.#groupHost(), { ...options, ...(saved !== undefined ? { state: saved } : {}) });
    this.#publishers.set(options.groupId, publisher);
    return publisher;
  }

  #groupHost(): GroupHost {
    return {
      prefix: this.directory.prefix,
      clientId: this.clientId,
      provider: this.#provider,
      now: this.#now,
      signer: () => this.local.identity.signing,
      retain: () => this.#retain,
      qos: this.#qos,
      publish: (topic, payload, retain) => this.#transport.publish(topic, payload, { qos: this.#qos, retain }),
      sealFor: (member, topic, payload) => this.sealFor(member, topic, payload),
      emitKey: (event) => this.events.emit('key', event),
      changed: () => this.events.emit('state'),
    };
  }

  /**
   * Handles one received message: key exchange topics are processed here ('control'); other
   * payloads are opened as direct or group envelopes. A group message whose epoch key has not
   * arrived yet is held ('pending') and returned later through `onLateMessage`.
   */
  receive(topic: string, payload: Uint8Array, meta: M): ReceiveOutcome<M> {
    const control = topic.startsWith(this.#controlRoot) ? parseControlTopic(this.directory.prefix, topic) : undefined;
    if (control !== undefined) {
      this.#control(control, topic, payload);
      return { kind: 'control' };
    }
    return this.#open(topic, payload, meta, true);
  }

  /** Listener for held messages that could be opened once their keys arrived. */
  onLateMessage: ((outcome: ReceiveOutcome<M>) => void) | undefined;

  #open(topic: string, payload: Uint8Array, meta: M, hold: boolean): ReceiveOutcome<M> {
    if (payload.length === 0) return { kind: 'skipped', reason: 'empty payload (a retained message was deleted)' };
    const kind = envelopeKind(payload);
    try {
      if (kind === 'direct') return this.#openDirect(topic, payload, meta);
      if (kind === 'group') return this.#openGroup(topic, payload, meta, hold);
      return { kind: 'error', error: new EnvelopeFormatError('Payload is neither a direct (type 0x01) nor a group (type 0x02) envelope of version 0x01.') };
    } catch (error) {
      if (error instanceof E2eeError) return { kind: 'error', error };
      throw error;
    }
  }

  #openDirect(topic: string, payload: Uint8Array, meta: M): ReceiveOutcome<M> {
    // Most envelopes name the current key, and the opener checks their whole header. Any other
    // one is parsed here, to skip it when it names no own key.
    if (!this.local.addressedToCurrentKey(payload)) {
      const header = parseHeader(payload);
      const recipientKeyId = bytesToHex(header.recipientKeyId);
      if (!this.local.isOwnKeyId(recipientKeyId)) {
        const keyIds = { recipientKeyId, senderKeyId: bytesToHex(header.senderKeyId) };
        return { kind: 'skipped', reason: 'direct envelope for another recipient', keyIds };
      }
    }
    const opened = this.#openDirectChecked(topic, payload);
    const sender = wipeOnThrow(opened.plaintext, () => this.#directSender(opened.senderPublicKey, opened.senderKeyId));
    const message: ReceivedMessage = {
      topic,
      plaintext: opened.plaintext,
      kind: 'direct',
      sender: sender.status.clientId,
      senderKeyId: opened.senderKeyId,
      senderKey: {
        keyId: opened.senderKeyId,
        // The opener returns a copy of the key for each message.
        publicKey: opened.senderPublicKey,
        publicKeyText: (sender.publicKeyText ??= encodePublicKey(sender.status.encryptionKey)),
      },
      groupId: undefined,
      seq: opened.seq,
      signed: false,
    };
    return { kind: 'message', message, meta };
  }

  /** Clears the cached sender results when the directory changed since they were made. */
  #syncSenders(): void {
    const revision = this.directory.revision;
    if (revision === this.#sendersRevision) return;
    this.#directSenders.clear();
    this.#groupSenders.clear();
    this.#sendersRevision = revision;
  }

  /**
   * Returns the directory status of the key that authenticated a direct envelope. A session
   * opened earlier stays in the opener's cache, so this check runs on every message: the key
   * must still be one that resolveSender returns, or the message fails as a new session would,
   * with KeyRevokedError, KeyExpiredError or UnknownSenderError.
   */
  #directSender(publicKey: Uint8Array, keyId: string): CachedSenderKey {
    this.#syncSenders();
    let cached = this.#directSenders.get(keyId);
    // Key ids may collide, so the whole key is compared.
    if (cached === undefined || !equal(cached.status.encryptionKey, publicKey)) {
      const status = this.directory.senderKeyStatus(publicKey);
      cached = status === undefined ? undefined : { status, publicKeyText: undefined };
      if (cached !== undefined) this.#directSenders.set(keyId, cached);
    }
    if (cached === undefined || cached.status.revoked || this.#now() >= cached.status.usableUntil) {
      throw this.directory.explainUnknownSender(keyId) ?? new UnknownSenderError(keyId);
    }
    return cached;
  }

  /**
   * Returns the current key of the sender of a group message, or undefined when the directory
   * has no valid announcement of it (never received, forgotten or expired). Raises
   * KeyRevokedError for a revoked sender, whose messages are rejected even though members still
   * have its epoch keys.
   */
  #groupSenderKey(clientId: string): SenderKey | undefined {
    this.#syncSenders();
    let cached = this.#groupSenders.get(clientId);
    if (cached === undefined) {
      cached = { status: this.directory.peerStatus(clientId), publicKeyText: undefined };
      this.#groupSenders.set(clientId, cached);
    }
    const status = cached.status;
    if (status === undefined) return undefined;
    if (status.revoked) throw new KeyRevokedError(clientId, status.peer.keyId);
    if (this.#now() >= status.peer.validUntil) return undefined;
    return {
      keyId: status.peer.keyId,
      publicKey: status.peer.encryptionKey.slice(),
      publicKeyText: (cached.publicKeyText ??= encodePublicKey(status.peer.encryptionKey)),
    };
  }

  /** Opens a direct envelope and explains an unknown sender key (expired or revoked). */
  #openDirectChecked(topic: string, payload: Uint8Array): ReturnType<LocalKeys['open']> {
    try {
      return this.local.open(topic, payload, this.directory.resolveSender);
    } catch (error) {
      if (error instanceof UnknownSenderError) {
        throw this.directory.explainUnknownSender(error.senderKeyId) ?? error;
      }
      throw error;
    }
  }

  #openGroup(topic: string, payload: Uint8Array, meta: M, hold: boolean): ReceiveOutcome<M> {
    const opened = this.groups.tryOpen(topic, payload);
    if (opened === undefined) {
      if (!hold) return { kind: 'error', error: new UnknownEpochError(this.groups.epochIdOf(payload)) };
      this.#hold(this.#pendingData, { topic, payload, meta, at: this.#now() });
      return { kind: 'pending' };
    }
    this.#scheduleWindowSave();
    const senderKey = wipeOnThrow(opened.plaintext, () => this.#groupSenderKey(opened.sender));
    const message: ReceivedMessage = {
      topic,
      plaintext: opened.plaintext,
      kind: 'group',
      sender: opened.sender,
      senderKeyId: undefined,
      senderKey,
      groupId: opened.groupId,
      seq: opened.seq,
      signed: opened.signed,
    };
    return { kind: 'message', message, meta };
  }

  #hold<T>(queue: Pending<T>[], item: Pending<T>): void {
    const now = this.#now();
    const fresh = queue.filter((entry) => now - entry.at < PENDING_TTL_MS);
    queue.splice(0, queue.length, ...fresh.slice(-(MAX_PENDING - 1)), item);
  }

  #retryPending(): void {
    const inbox = this.#pendingInbox;
    this.#pendingInbox = [];
    for (const item of inbox) this.#inbox(item.topic, item.payload, false);
    const data = this.#pendingData;
    this.#pendingData = [];
    for (const item of data) {
      const epochId = this.groups.epochIdOf(item.payload);
      if (!this.groups.hasEpoch(epochId)) {
        if (this.#now() - item.at < PENDING_TTL_MS) this.#pendingData.push(item);
        continue;
      }
      this.onLateMessage?.(this.#open(item.topic, item.payload, item.meta, false));
    }
  }

  #control(control: NonNullable<ReturnType<typeof parseControlTopic>>, topic: string, payload: Uint8Array): void {
    if (control.kind === 'announcement') this.#announcement(topic, payload, control.clientId);
    else if (control.kind === 'revocation') this.#revocation(topic, payload, control.clientId);
    else if (control.kind === 'inbox') this.#inbox(topic, payload, true);
    else void this.#discovery(payload);
  }

  #announcement(topic: string, payload: Uint8Array, clientId: string): void {
    if (clientId === this.clientId) return;
    try {
      const result = this.directory.ingestAnnouncement(topic, payload);
      if (result.status === 'accepted' || result.status === 'rotated') {
        this.events.emit('key', { type: result.status, clientId });
        for (const publisher of this.#publishers.values()) void publisher.memberAnnounced(clientId, result.status === 'rotated');
        this.#retryPending();
      }
    } catch (error) {
      if (!(error instanceof E2eeError)) throw error;
      let type: KeyEvent['type'] = 'rejected';
      if (error.code === 'ERR_KEY_CHANGED') type = 'changed';
      if (error.code === 'ERR_KEY_REVOKED') type = 'revoked';
      this.events.emit('key', { type, clientId, error });
    }
    this.#wake();
  }

  #revocation(topic: string, payload: Uint8Array, clientId: string): void {
    try {
      if (this.directory.ingestRevocation(topic, payload)) this.events.emit('key', { type: 'revoked', clientId });
    } catch (error) {
      if (!(error instanceof E2eeError)) throw error;
      this.events.emit('key', { type: 'rejected', clientId, error });
    }
    this.#wake();
  }

  #inbox(topic: string, payload: Uint8Array, hold: boolean): void {
    if (payload.length === 0) return;
    try {
      const opened = this.#openDirectChecked(topic, payload);
      const { status } = this.#directSender(opened.senderPublicKey, opened.senderKeyId);
      const sender = { clientId: status.clientId, signingKey: status.signingKey.slice() };
      const result = this.groups.ingestKeyMessage(topic, opened.plaintext, sender);
      this.events.emit('key', { type: 'group-keys', clientId: sender.clientId, detail: `group ${result.groupId}: ${result.installed.length} new epochs` });
      if (result.installed.length > 0) {
        this.events.emit('state');
        this.#retryPending();
      }
    } catch (error) {
      if (!(error instanceof E2eeError)) throw error;
      // The sender's announcement may arrive after its key message, so hold it for a retry.
      if (hold && error instanceof UnknownSenderError) {
        this.#hold(this.#pendingInbox, { topic, payload, meta: undefined, at: this.#now() });
        return;
      }
      this.events.emit('key', { type: 'rejected', clientId: undefined, error });
    }
  }

  /**
   * Publishes the own announcement again and resends group keys to the requester after a discovery request
   * (brokers without retain). It runs at most once a second: a request within 1000 ms of the last run is dropped,
   * even when it comes from another client, and publish errors are ignored.
   */
  async #discovery(payload: Uint8Array): Promise<void> {
    const requester = new TextDecoder().decode(payload);
    if (requester === this.clientId) return;
    const now = this.#now();
    if (now - this.#lastReannounce < REANNOUNCE_INTERVAL_MS) return;
    this.#lastReannounce = now;
    await this.announce().catch(() => undefined);
    for (const publisher of this.#publishers.values()) await publisher.resendTo(requester).catch(() => undefined);
  }

  async #requestRecords(): Promise<void> {
    await this.#transport.publish(discoveryTopic(this.directory.prefix), utf8ToBytes(this.clientId), { qos: this.#qos, retain: false });
  }

  /**
   * Emits 'state' GROUP_WINDOW_SAVE_DELAY_MS after the first group message since the last such
   * event, so that a state file lags the replay windows of group epochs by at most that delay.
   * NOTE: messages accepted within that delay before a crash can be accepted again afterwards.
   */
  #scheduleWindowSave(): void {
    if (this.#windowSave !== undefined) return;
    this.#windowSave = setTimeout(() => {
      this.#windowSave = undefined;
      this.events.emit('state');
    }, GROUP_WINDOW_SAVE_DELAY_MS);
    // The timer must not keep a Node.js process alive, because flush() saves whatever it would have.
    (this.#windowSave as { unref?: () => void }).unref?.();
  }

  /** Registers a function that `flush()` awaits, such as the save of a state file. */
  onFlush(flusher: () => Promise<void>): void {
    this.#flushers.push(flusher);
  }

  /** Waits for every registered flusher, for example before the process exits. */
  async flush(): Promise<void> {
    clearTimeout(this.#windowSave);
    this.#windowSave = undefined;
    await Promise.all(this.#flushers.map((flusher) => flusher()));
  }

  /** Persistent state of the directory, own keys and groups. */
  exportState(): KeyExchangeStateParts {
    const groupsSent: Record<string, unknown> = { ...this.#savedGroups };
    for (const [groupId, publisher] of this.#publishers) groupsSent[groupId] = publisher.exportState();
    return {
      directory: this.directory.exportState(),
      local: this.local.exportState(),
      groupsSent: groupsSent as NonNullable<KeyExchangeStateParts['groupsSent']>,
      groupsReceived: this.groups.exportState(),
    };
  }
}

/**
 * Runs a check made after decryption. When it throws, the plaintext is wiped first, because
 * plaintexts are views into blocks shared with delivered messages.
 */
function wipeOnThrow<T>(plaintext: Uint8Array, check: () => T): T {
  try {
    return check();
  } catch (error) {
    plaintext.fill(0);
    throw error;
  }
}
