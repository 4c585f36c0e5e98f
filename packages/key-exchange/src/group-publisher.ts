/**
 * GroupPublisher: a GroupSender connected to key discovery and a transport. It seals each key
 * message in a direct envelope to the member's verified key and publishes it, retained, on the
 * member's inbox topic before the first message of a new epoch.
 */
import type { CryptoProvider, E2eeError } from '@mqtt-e2ee/envelope';
import { GroupSender, type GroupSenderOptions, type GroupSenderState, type KeyMessage } from './group-sender.js';
import type { KeyEvent } from './engine.js';
import type { SigningKeyPair } from './signing.js';

/** Services of KeyExchange that a GroupPublisher uses. */
export interface GroupHost {
  readonly prefix: string;
  readonly clientId: string;
  readonly provider: CryptoProvider;
  readonly now: () => number;
  readonly qos: 0 | 1;
  signer(): SigningKeyPair;
  retain(): boolean;
  publish(topic: string, payload: Uint8Array, retain: boolean): Promise<void>;
  sealFor(member: string, topic: string, payload: Uint8Array): Promise<Uint8Array>;
  emitKey(event: KeyEvent): void;
  changed(): void;
}

/** Options of KeyExchange.group. */
export interface GroupPublisherOptions
  extends Pick<GroupSenderOptions, 'groupId' | 'topics' | 'members' | 'maxMessagesPerEpoch' | 'maxEpochAgeMs' | 'keepEpochs' | 'shareHistory'> {
  /** Sign every message with the sender's Ed25519 key, so members cannot forge it. Default false. */
  readonly sign?: boolean;
  readonly state?: GroupSenderState;
}

/** A group envelope from GroupPublisher.prepare. */
export interface PreparedGroupMessage {
  readonly envelope: Uint8Array;
  /**
   * Undefined when no key message was due or on its way. Otherwise a promise that resolves once
   * those key messages were published (or reported as undelivered), and the envelope must be
   * published after it.
   */
  readonly keysDelivered: Promise<void> | undefined;
}

/** Sends to one group: one envelope per message for all members. */
export class GroupPublisher {
  readonly sender: GroupSender;
  readonly #host: GroupHost;
  /** Members whose newest key message has not been delivered yet. */
  readonly #undelivered = new Set<string>();
  /** The distribute() run in progress, which messages sealed meanwhile wait for. */
  #delivering: Promise<void> | undefined;

  constructor(host: GroupHost, options: GroupPublisherOptions) {
    this.#host = host;
    this.sender = new GroupSender({
      prefix: host.prefix,
      sender: host.clientId,
      groupId: options.groupId,
      topics: options.topics,
      members: options.members,
      ...(options.sign === true ? { signer: host.signer() } : {}),
      ...(options.maxMessagesPerEpoch !== undefined ? { maxMessagesPerEpoch: options.maxMessagesPerEpoch } : {}),
      ...(options.maxEpochAgeMs !== undefined ? { maxEpochAgeMs: options.maxEpochAgeMs } : {}),
      ...(options.keepEpochs !== undefined ? { keepEpochs: options.keepEpochs } : {}),
      ...(options.shareHistory !== undefined ? { shareHistory: options.shareHistory } : {}),
      ...(options.state !== undefined ? { state: options.state } : {}),
      now: host.now,
      provider: host.provider,
    });
  }

  get groupId(): string {
    return this.sender.groupId;
  }

  /**
   * Encrypts `plaintext` for the group on `topic`. When this opens a new epoch, the key messages
   * are published first, so members have the key before the message arrives.
   */
  async seal(topic: string, plaintext: Uint8Array): Promise<Uint8Array> {
    const prepared = this.prepare(topic, plaintext);
    if (prepared.keysDelivered !== undefined) await prepared.keysDelivered;
    return prepared.envelope;
  }

  /**
   * Encrypts `plaintext` like seal, without a promise when no key message is due or on its way.
   * Otherwise the caller publishes the envelope only after `keysDelivered`.
   */
  prepare(topic: string, plaintext: Uint8Array): PreparedGroupMessage {
    const sealed = this.sender.seal(topic, plaintext);
    const envelope = sealed.envelope;
    if (sealed.newEpoch || this.sender.hasPendingDelivery) return { envelope, keysDelivered: this.distribute() };
    // A message sealed while key messages are on their way waits for them as well, or it could
    // reach members before the key of its epoch. A failed delivery is reported to the message
    // that started it, so this one goes out anyway.
    const delivering = this.#delivering;
    if (delivering !== undefined) return { envelope, keysDelivered: delivering.then(ignore, ignore) };
    // Members whose key message failed earlier get it again with every message, as distribute
    // retries them.
    if (this.#undelivered.size > 0) return { envelope, keysDelivered: this.distribute() };
    return { envelope, keysDelivered: undefined };
  }

  /**
   * Replaces the members and starts a new epoch at once: key messages go to the members now, and
   * the retained key messages of removed members are deleted.
   */
  async setMembers(members: readonly string[]): Promise<void> {
    this.sender.setMembers(members);
    this.sender.currentEpochId();
    await this.distribute();
  }

  async addMember(member: string): Promise<void> {
    await this.setMembers([...this.sender.members(), member]);
  }

  async removeMember(member: string): Promise<void> {
    await this.setMembers(this.sender.members().filter((m) => m !== member));
  }

  /** Closes the current epoch and sends the keys of a new one. */
  async rotate(): Promise<void> {
    this.sender.rotate();
    this.sender.currentEpochId();
    await this.distribute();
  }

  /**
   * Publishes the pending key messages, and deletes the retained key messages of removed
   * members. A member whose key cannot be found stays pending and gets its keys when its
   * announcement arrives; a 'member-unreachable' key event reports it. It starts after the
   * delivery in progress, if any, so that key messages go out in the order of their epochs.
   */
  distribute(): Promise<void> {
    const previous = this.#delivering;
    const run = previous === undefined ? this.#distributeNow() : previous.then(() => this.#distributeNow(), () => this.#distributeNow());
    const tracked = run.finally(() => {
      if (this.#delivering === tracked) this.#delivering = undefined;
    });
    this.#delivering = tracked;
    return tracked;
  }

  async #distributeNow(): Promise<void> {
    const messages = this.sender.takeKeyMessages();
    const queued = new Set(messages.map((m) => m.member));
    for (const member of this.#undelivered) {
      const message = queued.has(member) ? undefined : this.sender.keyMessageFor(member);
      if (message !== undefined) messages.push(message);
    }
    await Promise.all(messages.map((message) => this.#deliver(message, this.#host.retain())));
    const removed = this.sender.takeRemovedInboxTopics();
    if (this.#host.retain()) {
      for (const topic of removed) {
        // A zero-length retained message deletes the retained key message (MQTT 5.0 section 3.3.1.3).
        await this.#host.publish(topic, new Uint8Array(0), true);
      }
    }
    // Only a new epoch or a membership change alters the saved state, not every message.
    if (messages.length > 0 || removed.length > 0) this.#host.changed();
  }

  async #deliver(message: KeyMessage, retain: boolean): Promise<void> {
    try {
      const envelope = await this.#host.sealFor(message.member, message.topic, message.payload);
      await this.#host.publish(message.topic, envelope, retain);
      this.#undelivered.delete(message.member);
    } catch (error) {
      this.#undelivered.add(message.member);
      this.#host.emitKey({
        type: 'member-unreachable',
        clientId: message.member,
        error: error as E2eeError,
        detail: `group ${this.groupId}: key message not delivered, retried when the member announces a key`,
      });
    }
  }

  /** Called when a client announced a key: members still waiting for keys, or with a new key, get their key message. */
  async memberAnnounced(clientId: string, rotated: boolean): Promise<void> {
    if (!this.sender.members().includes(clientId)) return;
    if (!rotated && !this.#undelivered.has(clientId)) return;
    const message = this.sender.keyMessageFor(clientId);
    if (message !== undefined) await this.#deliver(message, this.#host.retain());
  }

  /**
   * Sends every member its key message again, sealed with the current own key. After a rotation
   * of the own key this keeps the retained key messages readable once the old key's grace ends.
   */
  async redistribute(): Promise<void> {
    const messages = this.sender.members().map((member) => this.sender.keyMessageFor(member));
    await Promise.all(messages.map((message) => (message === undefined ? undefined : this.#deliver(message, this.#host.retain()))));
  }

  /** Sends the key message to a member again without retain (discovery on brokers without retain). */
  async resendTo(member: string): Promise<void> {
    const message = this.sender.keyMessageFor(member);
    if (message !== undefined) await this.#deliver(message, false);
  }

  exportState(): GroupSenderState {
    return this.sender.exportState();
  }
}

function ignore(): void {}
