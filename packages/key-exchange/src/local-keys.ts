/**
 * LocalKeys: the client's own identity, its announcement, rotations and retired keys
 * (spec/key-exchange-v1.md, "Rotation"). Retired keys still open envelopes during the grace
 * period; after it, envelopes addressed to them fail with KeyExpiredError.
 */
import {
  EnvelopeOpener,
  NotForRecipientError,
  keyId as keyIdOf,
  keyIdHex,
  nobleProvider,
  parseHeader,
  type CryptoProvider,
  type OpenedMessage,
} from '@mqtt-e2ee/envelope';
import { endorsementFromJson, endorsementToJson, type Endorsement } from './anchor.js';
import {
  MAX_ROTATION_LINKS,
  createAnnouncement,
  createRotationLink,
  equal,
  rotationLinkFromJson,
  rotationLinkToJson,
  type Announcement,
  type RotationLink,
  type RotationLinkJson,
} from './announcement.js';
import { KeyExpiredError } from './errors.js';
import { generateDeviceIdentity, identityFromSecretKeyText, secretKeyText, type DeviceIdentity } from './identity.js';
import { decodeSigningSecretKey, encodeSigningSecretKey } from './signing.js';
import { checkName, checkPrefix } from './topics.js';
import { DEFAULT_GRACE_MS } from './directory.js';

/** Most key ids of expired own keys remembered. */
const MAX_EXPIRED_IDS = 64;

/** Default validity of an announcement: 7 days. Clients re-announce when half of it has passed. */
export const DEFAULT_ANNOUNCEMENT_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;

/** Serializable state of LocalKeys. It contains retired secret keys, so store it with mode 0600. */
export interface LocalKeysState {
  readonly seq: number;
  readonly rotations: readonly RotationLinkJson[];
  readonly retired: readonly { secretKey: string; signingSecretKey: string; retiredAt: number }[];
  /** Key ids of retired keys whose grace period ended; their secret keys are deleted. Optional. */
  readonly expired?: readonly { keyId: string; expiredAt: number }[];
  readonly endorsements: readonly Record<string, unknown>[];
}

/** Options of LocalKeys. */
export interface LocalKeysOptions {
  readonly prefix: string;
  readonly clientId: string;
  readonly identity: DeviceIdentity;
  readonly state?: LocalKeysState;
  readonly graceMs?: number;
  readonly validityMs?: number;
  readonly endorsements?: readonly Endorsement[];
  readonly now?: () => number;
  readonly provider?: CryptoProvider;
  readonly replayWindow?: number;
  /** Sender lookup for opening direct envelopes, usually KeyDirectory.resolveSender. */
  readonly resolveSender?: (keyId: Uint8Array) => Uint8Array[];
}

interface RetiredKey {
  readonly identity: DeviceIdentity;
  readonly retiredAt: number;
  /** Key id of the identity, 16 hex characters. */
  readonly keyId: string;
}

/** Offset of the recipient key id in a direct envelope header. */
const RECIPIENT_KEY_ID_OFFSET = 12;
const KEY_ID_BYTES = 8;

/** The client's own keys over time. */
export class LocalKeys {
  readonly prefix: string;
  readonly clientId: string;
  readonly graceMs: number;
  readonly validityMs: number;
  readonly #now: () => number;
  readonly #provider: CryptoProvider;
  readonly #replayWindow: number | undefined;
  readonly #resolveSender: (keyId: Uint8Array) => Uint8Array[];
  #identity: DeviceIdentity;
  /** Key id of #identity as bytes and hex, computed once per identity because each is a SHA-256. */
  #keyIdBytes: Uint8Array;
  #keyIdText: string;
  /** Whether the current key id is among the expired ones, which happens only after rotating back to a retired key. */
  #currentExpired = false;
  #seq: number;
  #rotations: RotationLink[];
  #retired: RetiredKey[];
  /** Retired keys past grace, kept by id only so that envelopes to them fail with KeyExpiredError. */
  #expired: { keyId: string; expiredAt: number }[];
  #endorsements: Endorsement[];
  #announcement: Announcement | undefined;
  readonly #openers = new Map<string, EnvelopeOpener>();
  readonly #listeners = new Set<() => void>();

  constructor(options: LocalKeysOptions) {
    this.prefix = checkPrefix(options.prefix);
    this.clientId = checkName(options.clientId, 'clientId');
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.validityMs = options.validityMs ?? DEFAULT_ANNOUNCEMENT_VALIDITY_MS;
    if (!Number.isSafeInteger(this.validityMs) || this.validityMs < 1000) {
      throw new RangeError(`validityMs must be an integer of at least 1000 milliseconds, got ${this.validityMs}`);
    }

    this.#now = options.now ?? Date.now;
    this.#provider = options.provider ?? nobleProvider;
    this.#replayWindow = options.replayWindow;
    this.#resolveSender = options.resolveSender ?? (() => []);
    this.#identity = options.identity;
    this.#keyIdBytes = keyIdOf(this.#identity.publicKey);
    this.#keyIdText = toHex(this.#keyIdBytes);

    const state = options.state;
    this.#seq = state?.seq ?? 0;
    this.#rotations = (state?.rotations ?? []).map((link, index) => rotationLinkFromJson(link, index));
    this.#retired = (state?.retired ?? []).map((entry) => {
      const identity = { ...identityFromSecretKeyText(entry.secretKey), signing: decodeSigningSecretKey(entry.signingSecretKey) };
      return { identity, retiredAt: entry.retiredAt, keyId: keyIdHex(identity.publicKey) };
    });
    this.#expired = [...(state?.expired ?? [])];
    this.#updateCurrentExpired();

    for (const e of options.endorsements ?? []) {
      if (e.clientId !== this.clientId || e.prefix !== this.prefix) {
        throw new RangeError(
          `endorsement is for client ${JSON.stringify(e.clientId)} under prefix ${JSON.stringify(e.prefix)}, but this client announces ` +
            `${JSON.stringify(this.clientId)} under ${JSON.stringify(this.prefix)}: endorse the key again with that client id and prefix`,
        );
      }
    }
    this.#endorsements = [...(state?.endorsements ?? []).map(endorsementFromJson), ...(options.endorsements ?? [])];

    // Links and endorsements saved for another identity (the key file was replaced) are dropped.
    const lastLink = this.#rotations.at(-1);
    if (lastLink !== undefined && !this.#verifiesLastLink(lastLink)) this.#rotations = [];
  }

  /** The current identity. */
  get identity(): DeviceIdentity {
    return this.#identity;
  }

  /** Current key id, 16 hex characters. */
  get keyId(): string {
    return this.#keyIdText;
  }

  /** Registers a listener called when the persistent state changes. */
  onStateChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #verifiesLastLink(link: RotationLink): boolean {
    try {
      const a = createAnnouncement({ ...this.#base(1), rotations: [link] });
      return a.rotations.length === 1;
    } catch {
      return false;
    }
  }

  #base(seq: number): { identity: DeviceIdentity; prefix: string; clientId: string; seq: number; validFrom: number; validUntil: number } {
    const now = this.#now();
    return { identity: this.#identity, prefix: this.prefix, clientId: this.clientId, seq, validFrom: now, validUntil: now + this.validityMs };
  }

  /**
   * Returns the current announcement. A new one, with a higher sequence number, is signed when
   * none exists yet or when half of the validity period has passed. The sequence number is
   * max(previous + 1, now in milliseconds), so it grows even when state was lost.
   */
  announcement(): Announcement {
    const now = this.#now();
    const current = this.#announcement;
    if (current !== undefined && now < current.validFrom + Math.floor(this.validityMs / 2)) return current;
    return this.#announce();
  }

  #announce(): Announcement {
    this.#seq = Math.max(this.#seq + 1, this.#now());
    const chain = [...this.#rotations, { encryptionKey: this.#identity.publicKey, signingKey: this.#identity.signing.publicKey }];
    const endorsements = this.#endorsements.filter((e) => chain.some((k) => equal(k.encryptionKey, e.encryptionKey) && equal(k.signingKey, e.signingKey)));
    // Keep the endorsement that covers the newest key and drop the oldest beyond the limit of 4.
    const announcement = createAnnouncement({ ...this.#base(this.#seq), rotations: this.#rotations, endorsements: endorsements.slice(-4) });
    this.#announcement = announcement;
    this.#changed();
    return announcement;
  }

  /** Adds endorsements of the current or earlier keys, and signs a new announcement that carries them. */
  addEndorsements(endorsements: readonly Endorsement[]): Announcement {
    for (const e of endorsements) {
      if (e.clientId !== this.clientId || e.prefix !== this.prefix) {
        throw new RangeError(`endorsement is for client ${JSON.stringify(e.clientId)} under prefix ${JSON.stringify(e.prefix)}, not ${JSON.stringify(this.clientId)} under ${JSON.stringify(this.prefix)}`);
      }
      if (!this.#endorsements.some((x) => equal(x.signature, e.signature))) this.#endorsements.push(e);
    }
    return this.#announce();
  }

  /**
   * Replaces the current identity with `next` (a new random one by default), signs a rotation
   * link with the old signing key and returns the new announcement. The old key keeps opening
   * envelopes for graceMs.
   */
  rotate(next: DeviceIdentity = generateDeviceIdentity(this.#provider)): Announcement {
    const retiredAt = this.#now();
    const link = createRotationLink(this.prefix, this.clientId, this.#identity, next, retiredAt);
    this.#retired.push({ identity: this.#identity, retiredAt, keyId: this.#keyIdText });
    this.#rotations = [...this.#rotations, link].slice(-MAX_ROTATION_LINKS);
    this.#identity = next;
    this.#keyIdBytes = keyIdOf(next.publicKey);
    this.#keyIdText = toHex(this.#keyIdBytes);
    this.#updateCurrentExpired();
    this.#prune();
    return this.#announce();
  }

  /**
   * Deletes the secret keys of retired keys whose grace period ended and keeps their key ids, the
   * newest 64, so that envelopes addressed to them still fail with KeyExpiredError.
   */
  #prune(): void {
    if (this.#retired.length === 0) return;
    const now = this.#now();
    // Runs on every received message, so the common case allocates nothing.
    if (!this.#retired.some((r) => now >= r.retiredAt + this.graceMs)) return;
    const ended = this.#retired.filter((r) => now >= r.retiredAt + this.graceMs);
    this.#retired = this.#retired.filter((r) => now < r.retiredAt + this.graceMs);
    const ids = ended.map((r) => ({ keyId: r.keyId, expiredAt: r.retiredAt + this.graceMs }));
    for (const { keyId } of ids) this.#openers.delete(keyId);
    this.#expired = [...this.#expired, ...ids].slice(-MAX_EXPIRED_IDS);
    this.#updateCurrentExpired();
    this.#changed();
  }

  #updateCurrentExpired(): void {
    this.#currentExpired = this.#expired.some((entry) => entry.keyId === this.#keyIdText);
  }

  /**
   * Returns whether the recipient key id of a direct envelope (header bytes 12 to 20) names the
   * current key, without parsing the rest of the header. False for a payload too short to hold
   * the id, and for a current key id that is also recorded as expired.
   */
  addressedToCurrentKey(envelope: Uint8Array): boolean {
    if (envelope.length < RECIPIENT_KEY_ID_OFFSET + KEY_ID_BYTES || this.#currentExpired) return false;
    const own = this.#keyIdBytes;
    for (let index = 0; index < KEY_ID_BYTES; index++) {
      if (envelope[RECIPIENT_KEY_ID_OFFSET + index] !== own[index]) return false;
    }
    return true;
  }

  /** Own identities that may open envelopes now: the current one and retired ones within grace. */
  activeIdentities(): DeviceIdentity[] {
    const now = this.#now();
    return [this.#identity, ...this.#retired.filter((r) => now < r.retiredAt + this.graceMs).map((r) => r.identity)];
  }

  /**
   * Opens a direct envelope addressed to the current key or to a retired key within grace. Raises
   * KeyExpiredError for a retired key past grace, NotForRecipientError for any other key, and the
   * envelope errors otherwise.
   */
  open(topic: string, envelope: Uint8Array, resolveSender?: (keyId: Uint8Array) => Uint8Array[]): OpenedMessage {
    this.#prune();
    // An envelope for the current key goes to its opener at once, which checks the whole header.
    if (this.addressedToCurrentKey(envelope)) return this.#openFor(this.#keyIdText, this.#identity, topic, envelope, resolveSender);
    const recipient = toHex(parseHeader(envelope).recipientKeyId);
    const expired = this.#expired.find((entry) => entry.keyId === recipient);
    if (expired !== undefined) throw new KeyExpiredError(recipient, expired.expiredAt, 'rotation grace period ended');
    const now = this.#now();
    const retired = this.#retired.find((r) => r.keyId === recipient);
    if (retired !== undefined && now >= retired.retiredAt + this.graceMs) {
      throw new KeyExpiredError(recipient, retired.retiredAt + this.graceMs, 'rotation grace period ended');
    }
    const identity = this.#keyIdText === recipient ? this.#identity : retired?.identity;
    if (identity === undefined) throw new NotForRecipientError(recipient);
    return this.#openFor(recipient, identity, topic, envelope, resolveSender);
  }

  #openFor(
    recipient: string,
    identity: DeviceIdentity,
    topic: string,
    envelope: Uint8Array,
    resolveSender: ((keyId: Uint8Array) => Uint8Array[]) | undefined,
  ): OpenedMessage {
    let opener = this.#openers.get(recipient);
    if (opener === undefined) {
      opener = new EnvelopeOpener({
        identities: [identity],
        resolveSender: (keyId) => (this.#lookup ?? this.#resolveSender)(keyId),
        provider: this.#provider,
        ...(this.#replayWindow !== undefined ? { replayWindow: this.#replayWindow } : {}),
      });
      this.#openers.set(recipient, opener);
    }
    this.#lookup = resolveSender;
    try {
      return opener.open(topic, envelope);
    } finally {
      this.#lookup = undefined;
    }
  }

  /** Sender lookup passed to the running open() call, which takes precedence over the option. */
  #lookup: ((keyId: Uint8Array) => Uint8Array[]) | undefined;

  /** Returns whether an envelope header names one of the own keys, current or retired. */
  isOwnKeyId(keyId: string): boolean {
    return this.#keyIdText === keyId || this.#retired.some((r) => r.keyId === keyId) || this.#expired.some((entry) => entry.keyId === keyId);
  }

  /** Returns the persistent state. It contains secret keys of retired identities. */
  exportState(): LocalKeysState {
    return {
      seq: this.#seq,
      rotations: this.#rotations.map(rotationLinkToJson),
      retired: this.#retired.map((r) => ({
        secretKey: secretKeyText(r.identity),
        signingSecretKey: encodeSigningSecretKey(r.identity.signing.secretKey),
        retiredAt: r.retiredAt,
      })),
      endorsements: this.#endorsements.map(endorsementToJson),
      expired: [...this.#expired],
    };
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
