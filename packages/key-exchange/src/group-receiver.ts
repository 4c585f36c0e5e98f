/**
 * GroupReceiver: epoch keys received from group senders and the opening of group envelopes
 * (spec/key-exchange-v1.md, "Group receiver checks").
 */
import {
  DEFAULT_REPLAY_WINDOW,
  DuplicateMessageError,
  ReplayError,
  ReplayWindow,
  nobleProvider,
  type CryptoProvider,
} from '@mqtt-e2ee/envelope';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { RecordReader } from './codec.js';
import { KeyRecordError, UnknownEpochError } from './errors.js';
import { decodeReplayWindow, encodeReplayWindow, type SavedReplayWindow } from './group-replay-state.js';
import {
  GroupCipher,
  checkGroupHeader,
  deriveEpochKeys,
  groupEpochIdHex,
  namesEpoch,
  readGroupSeq,
  type EpochKeys,
} from './group-wire.js';
import { checkName, checkPrefix, checkTopicFilter, parseControlTopic, topicMatchesFilter } from './topics.js';

/** Default number of epochs kept per sender and group. */
export const DEFAULT_MAX_EPOCHS_PER_GROUP = 8;
/** Largest key message accepted, in bytes. */
export const MAX_KEY_MESSAGE_BYTES = 16 * 1024;

/** Options of GroupReceiver. */
export interface GroupReceiverOptions {
  readonly prefix: string;
  /** Client id of this member. */
  readonly clientId: string;
  readonly provider?: CryptoProvider;
  readonly replayWindow?: number;
  readonly maxEpochsPerGroup?: number;
  readonly state?: GroupReceiverState;
}

/** Serializable receiver state. It contains epoch secrets, so store it with mode 0600. */
export interface GroupReceiverState {
  readonly epochs: readonly {
    readonly sender: string;
    readonly groupId: string;
    readonly topics: readonly string[];
    readonly secret: string;
    readonly createdAt: number;
    readonly signingKey: string | null;
    readonly highestSeq: string | null;
    /**
     * Replay window of the epoch. State written before it was stored has none, and then every
     * seq up to highestSeq counts as seen.
     */
    readonly replayWindow?: SavedReplayWindow | null;
  }[];
}

/** The authenticated sender of a key message, from the direct envelope and the key directory. */
export interface KeyMessageSender {
  readonly clientId: string;
  /** The sender's signing public key, needed when the group signs its messages. */
  readonly signingKey: Uint8Array;
}

/** A decrypted group message. */
export interface OpenedGroupMessage {
  readonly plaintext: Uint8Array;
  readonly sender: string;
  readonly groupId: string;
  readonly epochId: string;
  readonly seq: bigint;
  /** True when the message carried a verified sender signature. */
  readonly signed: boolean;
}

interface ReceiverEpoch {
  /** Epoch id, 16 hex characters. */
  readonly id: string;
  readonly sender: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly secret: Uint8Array;
  readonly keys: EpochKeys;
  readonly createdAt: number;
  readonly signingKey: Uint8Array | undefined;
  window: ReplayWindow;
  /** A number below 2^53 and a bigint above, as ReplayWindow takes them. */
  highestSeq: bigint | number | undefined;
  /** The last topic that matched one of `topics`, which never change. */
  matchedTopic: string | undefined;
}

/** Installs epoch keys from key messages and opens group envelopes. */
export class GroupReceiver {
  readonly prefix: string;
  readonly clientId: string;
  readonly #provider: CryptoProvider;
  readonly #windowSize: number;
  readonly #maxEpochs: number;
  readonly #epochs = new Map<string, ReceiverEpoch>();
  readonly #cipher: GroupCipher;
  /**
   * The epoch of the last message opened, so that a run of messages of one epoch skips the hex
   * encoding and map lookup of its id. It is cleared whenever an epoch leaves #epochs.
   */
  #lastEpoch: ReceiverEpoch | undefined;

  constructor(options: GroupReceiverOptions) {
    this.prefix = checkPrefix(options.prefix);
    this.clientId = checkName(options.clientId, 'clientId');
    this.#provider = options.provider ?? nobleProvider;
    this.#windowSize = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    this.#maxEpochs = options.maxEpochsPerGroup ?? DEFAULT_MAX_EPOCHS_PER_GROUP;
    this.#cipher = new GroupCipher(this.#provider);
    (options.state?.epochs ?? []).forEach((saved, index) => {
      const snapshot = decodeReplayWindow(saved, `state.epochs[${index}]`);
      const secret = decodeBase64Url(saved.secret);
      const signingKey = saved.signingKey === null ? undefined : decodeBase64Url(saved.signingKey);
      const epoch = this.#install(saved.sender, saved.groupId, saved.topics, secret, saved.createdAt, signingKey);
      if (snapshot !== undefined) {
        epoch.window = ReplayWindow.restore(snapshot, this.#windowSize);
        if (snapshot.top >= 0n) epoch.highestSeq = snapshot.top;
      } else if (saved.highestSeq !== null) {
        restoreWindow(epoch, BigInt(saved.highestSeq));
      }
    });
  }

  /**
   * Installs the epochs of a key message that an opened direct envelope carried on `topic`. The
   * topic must be this client's inbox for the sender's group, and the payload must name the same
   * sender, member, prefix and group. Returns the ids of newly installed epochs.
   */
  ingestKeyMessage(topic: string, plaintext: Uint8Array, from: KeyMessageSender): { groupId: string; sender: string; installed: string[] } {
    const parsed = parseControlTopic(this.prefix, topic);
    if (parsed?.kind !== 'inbox' || parsed.member !== this.clientId) {
      throw new KeyRecordError('group-keys', 'wrong-topic', from.clientId, `Group key message on ${JSON.stringify(topic)} is not on this client's inbox topic: ignored.`);
    }
    const reader = new RecordReader('group-keys', RecordReader.parse('group-keys', plaintext, MAX_KEY_MESSAGE_BYTES));
    reader.clientId = from.clientId;
    reader.literal('v', 1);
    reader.literal('kind', 'mqe2e-group-keys');
    const prefix = reader.string('prefix', undefined, 200);
    const groupId = reader.string('groupId', /^[A-Za-z0-9._-]{1,64}$/);
    const sender = reader.string('sender', /^[A-Za-z0-9._-]{1,64}$/);
    const member = reader.string('member', /^[A-Za-z0-9._-]{1,64}$/);
    const topics = reader.array('topics', 64).map((filter, index) => {
      try {
        return checkTopicFilter(filter, `topics[${index}]`);
      } catch (error) {
        throw reader.error((error as Error).message);
      }
    });
    const signed = reader.boolean('signed');
    const epochs = reader.array('epochs', 64).map((value, index) => {
      const item = new RecordReader('group-keys', value, `epochs[${index}]`);
      const entry = { id: item.string('id', /^[0-9a-f]{16}$/), secret: item.bytes('secret', 32), createdAt: item.integer('createdAt') };
      item.finish();
      return entry;
    });
    reader.finish();
    const mismatch =
      prefix !== this.prefix || member !== this.clientId || sender !== from.clientId || sender !== parsed.sender || groupId !== parsed.groupId;
    if (mismatch) {
      throw new KeyRecordError('group-keys', 'wrong-topic', from.clientId, `Group key message from ${JSON.stringify(from.clientId)} names another sender, member, group or prefix than its topic: rejected.`);
    }
    const installed: string[] = [];
    for (const entry of epochs) {
      if (this.#epochs.has(entry.id)) continue;
      const epoch = this.#install(sender, groupId, topics, entry.secret, entry.createdAt, signed ? from.signingKey : undefined);
      if (epoch.id !== entry.id) {
        this.#remove(epoch.id);
        throw reader.error(`epoch id ${entry.id} does not match its secret`);
      }
      installed.push(entry.id);
    }
    this.#trim(sender, groupId);
    return { groupId, sender, installed };
  }

  #install(sender: string, groupId: string, topics: readonly string[], secret: Uint8Array, createdAt: number, signingKey: Uint8Array | undefined): ReceiverEpoch {
    const keys = deriveEpochKeys(secret, this.prefix, groupId, sender);
    const id = bytesToHex(keys.epochId);
    const window = new ReplayWindow(this.#windowSize);
    const epoch: ReceiverEpoch = { id, sender, groupId, topics, secret, keys, createdAt, signingKey, window, highestSeq: undefined, matchedTopic: undefined };
    // An epoch installed again under a known id replaces the old entry, which must not stay cached.
    this.#remove(id);
    this.#epochs.set(id, epoch);
    return epoch;
  }

  #remove(epochId: string): void {
    this.#epochs.delete(epochId);
    if (this.#lastEpoch?.id === epochId) this.#lastEpoch = undefined;
  }

  /** Keeps the newest maxEpochsPerGroup epochs of one sender and group. */
  #trim(sender: string, groupId: string): void {
    const same = [...this.#epochs.entries()].filter(([, e]) => e.sender === sender && e.groupId === groupId);
    same.sort(([, a], [, b]) => a.createdAt - b.createdAt);
    for (const [id] of same.slice(0, Math.max(0, same.length - this.#maxEpochs))) this.#remove(id);
  }

  /** Returns whether the epoch (16 hex characters) is known. */
  hasEpoch(epochId: string): boolean {
    return this.#epochs.has(epochId);
  }

  /** Epoch id (16 hex characters) named by a group envelope. */
  epochIdOf(envelope: Uint8Array): string {
    checkGroupHeader(envelope);
    return groupEpochIdHex(envelope);
  }

  /**
   * Opens a group envelope received on `topic`. Raises UnknownEpochError for an epoch without a
   * key and KeyRecordError when the topic is outside the epoch's topic filters. Raises
   * DuplicateMessageError for an authenticated copy of an accepted message, ReplayError for a seq
   * older than the window and DecryptionError for any authentication failure.
   *
   * Plaintexts up to 4 KiB are views into shared 16 KiB blocks: keep a slice() to store only
   * this message's bytes.
   */
  open(topic: string, envelope: Uint8Array): OpenedGroupMessage {
    const opened = this.tryOpen(topic, envelope);
    if (opened === undefined) throw new UnknownEpochError(groupEpochIdHex(envelope));
    return opened;
  }

  /**
   * Opens like open(), but returns undefined for an epoch without a key, after the header checks,
   * so that a caller can hold the message until its key message arrives.
   */
  tryOpen(topic: string, envelope: Uint8Array): OpenedGroupMessage | undefined {
    const flags = checkGroupHeader(envelope);
    const epoch = this.#epochOf(envelope);
    if (epoch === undefined) return undefined;
    if (topic !== epoch.matchedTopic) {
      if (!epoch.topics.some((filter) => topicMatchesFilter(topic, filter))) {
        throw new KeyRecordError('group-keys', 'wrong-topic', epoch.sender, `Group message of ${JSON.stringify(epoch.sender)} arrived on ${JSON.stringify(topic)}, outside the topics of group ${JSON.stringify(epoch.groupId)}: rejected.`);
      }
      epoch.matchedTopic = topic;
    }
    const seq = readGroupSeq(envelope);
    // Too old is rejected before decryption. A seen seq counts as a duplicate only after the copy
    // authenticated, so a forged copy stays a DecryptionError (spec/envelope-v1.md section 11.2).
    if (epoch.window.status(seq) === 'too old') throw new ReplayError(BigInt(seq), 'too old');
    const plaintext = this.#cipher.open(epoch.keys, flags, seq, topic, envelope, epoch.signingKey);
    const status = epoch.window.record(seq);
    if (status !== 'new') {
      // Plaintext that is not returned is wiped, because its block is shared with results.
      plaintext.fill(0);
      if (status === 'too old') throw new ReplayError(BigInt(seq), 'too old');
      throw new DuplicateMessageError(BigInt(seq), epoch.id);
    }
    if (epoch.highestSeq === undefined || seq > epoch.highestSeq) epoch.highestSeq = seq;
    return { plaintext, sender: epoch.sender, groupId: epoch.groupId, epochId: epoch.id, seq: BigInt(seq), signed: epoch.signingKey !== undefined };
  }

  /** Returns the installed epoch that a checked envelope names, or undefined. */
  #epochOf(envelope: Uint8Array): ReceiverEpoch | undefined {
    const last = this.#lastEpoch;
    if (last !== undefined && namesEpoch(envelope, last.keys.epochId)) return last;
    const epoch = this.#epochs.get(groupEpochIdHex(envelope));
    if (epoch !== undefined) this.#lastEpoch = epoch;
    return epoch;
  }

  /** Returns the persistent state: epoch secrets, the highest seq seen in each and its replay window. */
  exportState(): GroupReceiverState {
    return {
      epochs: [...this.#epochs.values()].map((epoch) => ({
        sender: epoch.sender,
        groupId: epoch.groupId,
        topics: [...epoch.topics],
        secret: encodeBase64Url(epoch.secret),
        createdAt: epoch.createdAt,
        signingKey: epoch.signingKey === undefined ? null : encodeBase64Url(epoch.signingKey),
        highestSeq: epoch.highestSeq === undefined ? null : epoch.highestSeq.toString(),
        replayWindow: encodeReplayWindow(epoch.window),
      })),
    };
  }
}

/**
 * Restores a replay window from state without replayWindow conservatively: every seq up to the
 * saved highest one counts as seen, because that state does not record which older ones arrived.
 */
function restoreWindow(epoch: ReceiverEpoch, highest: bigint): void {
  const size = BigInt(epoch.window.size);
  const first = highest - size + 1n > 0n ? highest - size + 1n : 0n;
  for (let seq = first; seq <= highest; seq++) epoch.window.accept(seq);
  epoch.highestSeq = highest;
}
