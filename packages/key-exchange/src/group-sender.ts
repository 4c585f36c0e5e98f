/**
 * GroupSender: sender keys per epoch for one publisher and many subscribers (spec/key-exchange-v1.md,
 * "Groups"). The sender encrypts each message once with its epoch key. Each member gets the epoch
 * secrets it is entitled to in a key message that the caller seals in a direct envelope to the
 * member's key and publishes, retained, on the member's inbox topic.
 */
import { nobleProvider, type CryptoProvider } from '@mqtt-e2ee/envelope';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { encodeRecord } from './codec.js';
import { EPOCH_SECRET_LENGTH, GroupCipher, deriveEpochKeys, type EpochKeys } from './group-wire.js';
import type { SigningKeyPair } from './signing.js';
import { checkName, checkPrefix, checkTopicFilter, inboxTopic, topicMatchesFilter } from './topics.js';

/** Default number of messages per epoch before a new epoch starts. */
export const DEFAULT_MAX_MESSAGES_PER_EPOCH = 10_000;
/** Default epoch age before a new epoch starts: one hour. */
export const DEFAULT_MAX_EPOCH_AGE_MS = 60 * 60 * 1000;
/** Default number of recent epochs kept and sent in key messages. */
export const DEFAULT_KEEP_EPOCHS = 4;

/** Options of GroupSender. */
export interface GroupSenderOptions {
  readonly prefix: string;
  readonly groupId: string;
  /** Client id of the sender. */
  readonly sender: string;
  /** Topic filters the group's messages are published on. */
  readonly topics: readonly string[];
  /** Client ids of the members allowed to read. */
  readonly members: readonly string[];
  /** Signing key for per-message Ed25519 signatures. Without it, any member can forge messages of the sender. */
  readonly signer?: SigningKeyPair;
  readonly maxMessagesPerEpoch?: number;
  readonly maxEpochAgeMs?: number;
  /** Number of recent epochs kept; a key message carries those the member may read. Default 4. */
  readonly keepEpochs?: number;
  /** Give new members the kept epochs from before they joined. Default false. */
  readonly shareHistory?: boolean;
  readonly now?: () => number;
  readonly provider?: CryptoProvider;
  readonly state?: GroupSenderState;
}

/** Serializable sender state. It contains epoch secrets, so store it with mode 0600. */
export interface GroupSenderState {
  readonly epochs: readonly { secret: string; createdAt: number; members: readonly string[] }[];
}

/** A key message to deliver: seal `payload` to `member`'s key and publish it retained on `topic`. */
export interface KeyMessage {
  readonly member: string;
  readonly topic: string;
  readonly payload: Uint8Array;
}

interface SenderEpoch {
  readonly secret: Uint8Array;
  readonly keys: EpochKeys;
  /** Epoch id, 16 hex characters. */
  readonly id: string;
  readonly createdAt: number;
  readonly members: ReadonlySet<string>;
  /** Below maxMessagesPerEpoch, a safe integer, so a number represents it exactly. */
  nextSeq: number;
  /** Set for epochs restored from state or replaced: never used to encrypt again. */
  closed: boolean;
}

/** Result of GroupSender.seal. */
export interface SealedGroupMessage {
  readonly envelope: Uint8Array;
  /** Epoch id, 16 hex characters. */
  readonly epochId: string;
  readonly seq: bigint;
  /** True when this message opened a new epoch, so key messages are pending. */
  readonly newEpoch: boolean;
}

/** Encrypts messages for a group under per-epoch sender keys. */
export class GroupSender {
  readonly prefix: string;
  readonly groupId: string;
  readonly sender: string;
  readonly topics: readonly string[];
  readonly #signer: SigningKeyPair | undefined;
  readonly #maxMessages: number;
  readonly #maxAgeMs: number;
  readonly #keepEpochs: number;
  readonly #shareHistory: boolean;
  readonly #now: () => number;
  readonly #provider: CryptoProvider;
  readonly #cipher: GroupCipher;
  /** The last topic that matched a topic filter, because publishers mostly repeat a topic. */
  #matchedTopic: string | undefined;
  /** Set when #currentEpoch opened a new epoch, until seal reads it. */
  #openedEpoch = false;
  #members: Set<string>;
  #epochs: SenderEpoch[];
  /** Members whose key message must be (re)sent. */
  readonly #pending = new Set<string>();
  /** Removed members whose retained inbox message should be deleted. */
  readonly #removed = new Set<string>();

  constructor(options: GroupSenderOptions) {
    this.prefix = checkPrefix(options.prefix);
    this.groupId = checkName(options.groupId, 'groupId');
    this.sender = checkName(options.sender, 'sender');
    if (options.topics.length === 0) throw new RangeError('topics must name at least one topic filter');
    this.topics = options.topics.map((filter, index) => checkTopicFilter(filter, `topics[${index}]`));
    this.#members = new Set(options.members.map((member) => checkName(member, 'member')));
    this.#signer = options.signer;
    this.#maxMessages = positive(options.maxMessagesPerEpoch ?? DEFAULT_MAX_MESSAGES_PER_EPOCH, 'maxMessagesPerEpoch');
    this.#maxAgeMs = positive(options.maxEpochAgeMs ?? DEFAULT_MAX_EPOCH_AGE_MS, 'maxEpochAgeMs');
    this.#keepEpochs = positive(options.keepEpochs ?? DEFAULT_KEEP_EPOCHS, 'keepEpochs');
    this.#shareHistory = options.shareHistory === true;
    this.#now = options.now ?? Date.now;
    this.#provider = options.provider ?? nobleProvider;
    this.#cipher = new GroupCipher(this.#provider);
    // Restored epochs are closed: the next message opens a new epoch, so a seq is never reused
    // after a crash that lost the latest counter.
    this.#epochs = (options.state?.epochs ?? []).map((saved) => ({
      ...this.#epochFrom(decodeBase64Url(saved.secret), saved.createdAt, new Set(saved.members)),
      closed: true,
    }));
  }

  /** Whether messages carry an Ed25519 signature. */
  get signed(): boolean {
    return this.#signer !== undefined;
  }

  /** Current members. */
  members(): string[] {
    return [...this.#members];
  }

  /**
   * Replaces the member list. Any change closes the current epoch, so a removed member cannot
   * read later messages and a new member cannot read earlier ones (unless shareHistory is set).
   */
  setMembers(members: readonly string[]): void {
    const next = new Set(members.map((member) => checkName(member, 'member')));
    const same = next.size === this.#members.size && [...next].every((member) => this.#members.has(member));
    if (same) return;
    for (const member of this.#members) if (!next.has(member)) this.#removed.add(member);
    for (const member of next) this.#removed.delete(member);
    this.#members = next;
    this.rotate();
  }

  /** Adds a member, starting a new epoch. */
  addMember(member: string): void {
    this.setMembers([...this.#members, member]);
  }

  /** Removes a member, starting a new epoch. */
  removeMember(member: string): void {
    this.setMembers([...this.#members].filter((m) => m !== member));
  }

  /** Closes the current epoch. The next seal opens a new one. */
  rotate(): void {
    const current = this.#epochs.at(-1);
    if (current !== undefined) current.closed = true;
  }

  /** Id of the epoch used for the next message, opening it if needed (16 hex characters). */
  currentEpochId(): string {
    return this.#currentEpoch().id;
  }

  /**
   * Whether members wait for a key message or removed members for the deletion of their inbox
   * message, so that takeKeyMessages or takeRemovedInboxTopics has work to return.
   */
  get hasPendingDelivery(): boolean {
    return this.#pending.size > 0 || this.#removed.size > 0;
  }

  /**
   * Encrypts `plaintext` once for all members. `topic` must match one of the group's topic
   * filters. When this opens a new epoch, key messages become pending: deliver them (from
   * takeKeyMessages) before or with the message.
   *
   * Envelopes up to 4 KiB are views into shared 16 KiB blocks: publish the view as it is (its
   * byteOffset and length), because its `buffer` also contains other envelopes of this sender.
   */
  seal(topic: string, plaintext: Uint8Array): SealedGroupMessage {
    if (topic !== this.#matchedTopic) {
      if (!this.topics.some((filter) => topicMatchesFilter(topic, filter))) {
        throw new RangeError(`topic ${JSON.stringify(topic)} matches none of the topic filters of group ${JSON.stringify(this.groupId)}: ${this.topics.join(', ')}`);
      }
      // The filters never change, so a topic that matched once always matches.
      this.#matchedTopic = topic;
    }
    this.#openedEpoch = false;
    const epoch = this.#currentEpoch();
    const seq = epoch.nextSeq;
    epoch.nextSeq = seq + 1;
    const envelope = this.#cipher.seal(epoch.keys, seq, topic, plaintext, this.#signer);
    return { envelope, epochId: epoch.id, seq: BigInt(seq), newEpoch: this.#openedEpoch };
  }

  /** Returns the epoch for the next message, opening a new one (and setting #openedEpoch) when needed. */
  #currentEpoch(): SenderEpoch {
    const current = this.#epochs.at(-1);
    const now = this.#now();
    const usable = current !== undefined && !current.closed && current.nextSeq < this.#maxMessages && now - current.createdAt < this.#maxAgeMs;
    if (usable) return current;
    if (current !== undefined) current.closed = true;
    const epoch = this.#epochFrom(this.#provider.randomBytes(EPOCH_SECRET_LENGTH), now, new Set(this.#members));
    this.#epochs = [...this.#epochs, epoch].slice(-this.#keepEpochs);
    for (const member of this.#members) this.#pending.add(member);
    this.#openedEpoch = true;
    return epoch;
  }

  #epochFrom(secret: Uint8Array, createdAt: number, members: Set<string>): SenderEpoch {
    const keys = deriveEpochKeys(secret, this.prefix, this.groupId, this.sender);
    return { secret, keys, id: bytesToHex(keys.epochId), createdAt, members, nextSeq: 0, closed: false };
  }

  /** Returns and clears the pending key messages, one per member that needs the newest epoch keys. */
  takeKeyMessages(): KeyMessage[] {
    if (this.#epochs.length === 0 || this.#epochs.at(-1)?.closed === true) this.#currentEpoch();
    const members = [...this.#pending].filter((member) => this.#members.has(member));
    this.#pending.clear();
    return members.map((member) => this.keyMessageFor(member)).filter((m): m is KeyMessage => m !== undefined);
  }

  /**
   * Builds the key message for `member` with the kept epochs it may read, or undefined for a
   * client that is not a member. Use it to send the keys again, for example after a discovery request.
   */
  keyMessageFor(member: string): KeyMessage | undefined {
    if (!this.#members.has(member)) return undefined;
    const entitled = this.#epochs.filter((epoch) => this.#shareHistory || epoch.members.has(member));
    const payload = encodeRecord({
      v: 1,
      kind: 'mqe2e-group-keys',
      prefix: this.prefix,
      groupId: this.groupId,
      sender: this.sender,
      member,
      topics: this.topics,
      signed: this.signed,
      epochs: entitled.map((epoch) => ({
        id: epoch.id,
        secret: encodeBase64Url(epoch.secret),
        createdAt: epoch.createdAt,
      })),
    });
    return { member, topic: inboxTopic(this.prefix, member, this.sender, this.groupId), payload };
  }

  /** Returns and clears the inbox topics of removed members, whose retained key messages should be deleted. */
  takeRemovedInboxTopics(): string[] {
    const topics = [...this.#removed].map((member) => inboxTopic(this.prefix, member, this.sender, this.groupId));
    this.#removed.clear();
    return topics;
  }

  /** Returns the persistent state: kept epoch secrets and their members. */
  exportState(): GroupSenderState {
    return {
      epochs: this.#epochs.map((epoch) => ({
        secret: encodeBase64Url(epoch.secret),
        createdAt: epoch.createdAt,
        members: [...epoch.members],
      })),
    };
  }
}

function positive(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${field} must be a positive integer, got ${value}`);
  return value;
}
