/**
 * KeyDirectory: the verified keys of peers, learned from key announcements and revocations under
 * one trust policy (spec/key-exchange-v1.md, "Discovery" and "Receiver checks"). It has no MQTT
 * code: the client feeds it the messages of the announcement and revocation topics.
 */
import { keyIdHex } from '@mqtt-e2ee/envelope';
import { parseRevocation, revocationToJson, type Revocation } from './anchor.js';
import {
  announcementToJson,
  encodeAnnouncement,
  equal,
  parseAnnouncement,
  type Announcement,
} from './announcement.js';
import { encodeRecord } from './codec.js';
import {
  E2eeError,
  KeyExpiredError,
  KeyRecordError,
  KeyRevokedError,
  UnknownPeerError,
} from './errors.js';
import { signingKeyFingerprint } from './signing.js';
import { DEFAULT_PREFIX, checkName, checkPrefix, parseControlTopic } from './topics.js';
import { TRUST_POLICIES, decideTrust, normalizeAnchors, normalizePin, type TrustPolicy } from './trust.js';

/** Default grace period after a rotation during which the retired key is still accepted: 10 minutes. */
export const DEFAULT_GRACE_MS = 10 * 60 * 1000;
/** Default allowance for clocks that run ahead, applied to validFrom: 5 minutes. */
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Options of KeyDirectory. */
export interface KeyDirectoryOptions {
  readonly policy: TrustPolicy;
  /** Topic prefix. Default 'e2ee/v1'. */
  readonly prefix?: string;
  /** Pinned signing keys per client id: 64-hex fingerprints or "mqe2e-sp1-…" texts. */
  readonly pins?: Readonly<Record<string, string | readonly string[]>>;
  /** Trust anchor public keys ("mqe2e-ap1-…" or raw bytes). Required by the 'anchor' policy. */
  readonly anchors?: readonly (string | Uint8Array)[];
  /** Grace period in milliseconds after a rotation. Default 10 minutes. */
  readonly graceMs?: number;
  /** Allowance for fast peer clocks in milliseconds. Default 5 minutes. */
  readonly clockSkewMs?: number;
  /** Clock in milliseconds since the Unix epoch. Default Date.now. */
  readonly now?: () => number;
  /** State saved by an earlier run (from `exportState`). */
  readonly state?: DirectoryState;
}

/** Serializable directory state: pins, accepted announcements and revocations. */
export interface DirectoryState {
  readonly peers: Record<string, { readonly pin: string; readonly announcement: Record<string, unknown> }>;
  readonly revocations: readonly Record<string, unknown>[];
}

/** The verified keys of one peer. */
export interface PeerKeys {
  readonly clientId: string;
  readonly encryptionKey: Uint8Array;
  readonly signingKey: Uint8Array;
  /** X25519 key id, 16 hex characters. */
  readonly keyId: string;
  readonly seq: number;
  readonly validUntil: number;
  /** Fingerprint of the signing key, 64 hex characters. */
  readonly fingerprint: string;
}

/**
 * A key that a direct envelope may come from, with its owner, as the directory stores it now.
 * Whether the key may send depends on the time as well: see `usableUntil`.
 */
export interface SenderKeyStatus {
  readonly clientId: string;
  /** Copy of the X25519 public key. */
  readonly encryptionKey: Uint8Array;
  /** Copy of the Ed25519 key announced with it. */
  readonly signingKey: Uint8Array;
  /** Key id of `encryptionKey`, 16 hex characters. */
  readonly keyId: string;
  /** False for a retired key of a rotation. */
  readonly current: boolean;
  /** Whether an anchor revoked the key. */
  readonly revoked: boolean;
  /**
   * Time in milliseconds from which the key may no longer send: the end of the announcement's
   * validity, or for a retired key the end of its grace period if that comes first.
   */
  readonly usableUntil: number;
}

/** Result of ingesting an announcement. */
export interface IngestResult {
  readonly status: 'accepted' | 'rotated' | 'unchanged' | 'ignored';
  readonly clientId: string;
  readonly peer?: PeerKeys;
}

interface PeerEntry {
  pin: string;
  announcement: Announcement;
}

/** Verified peer keys under a trust policy, with rotation grace periods and revocations. */
export class KeyDirectory {
  readonly prefix: string;
  readonly policy: TrustPolicy;
  readonly graceMs: number;
  readonly #clockSkewMs: number;
  readonly #now: () => number;
  readonly #anchors: Uint8Array[];
  readonly #pins = new Map<string, Set<string>>();
  readonly #peers = new Map<string, PeerEntry>();
  readonly #revocations: Revocation[] = [];
  readonly #rejections = new Map<string, E2eeError>();
  readonly #listeners = new Set<() => void>();
  #revision = 0;

  constructor(options: KeyDirectoryOptions) {
    if (!TRUST_POLICIES.includes(options.policy)) {
      throw new RangeError(`policy must be one of ${TRUST_POLICIES.join(', ')}, got ${JSON.stringify(options.policy)}`);
    }
    this.policy = options.policy;
    this.prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
    this.graceMs = checkDuration(options.graceMs ?? DEFAULT_GRACE_MS, 'graceMs');
    this.#clockSkewMs = checkDuration(options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS, 'clockSkewMs');
    this.#now = options.now ?? Date.now;
    this.#anchors = normalizeAnchors(options.anchors ?? []);
    if (this.policy === 'anchor' && this.#anchors.length === 0) {
      throw new RangeError("policy 'anchor' needs at least one anchor public key (mqe2e-ap1-…) in anchors");
    }
    for (const [clientId, pins] of Object.entries(options.pins ?? {})) {
      const list = typeof pins === 'string' ? [pins] : pins;
      this.#pins.set(checkName(clientId, 'pins key'), new Set(list.map(normalizePin)));
    }
    if (options.state !== undefined) this.#restore(options.state);
  }

  /**
   * Counts the changes of the stored announcements and revocations: it grows by one whenever an
   * announcement is accepted or forgotten and whenever a revocation is added. A caller that
   * cached a result of peerStatus or senderKeyStatus may reuse it until the revision changes,
   * after checking the clock against the cached times.
   */
  get revision(): number {
    return this.#revision;
  }

  /** Registers a listener called whenever the persistent state changes. Returns a function that removes it. */
  onStateChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Verifies an announcement received on `topic` and stores it when the policy trusts it. Raises
   * KeyRecordError, KeyChangedError or KeyRevokedError with the reason; the error is also kept
   * for `peer()` to report. A zero-length payload (a deleted retained message) is ignored, so a
   * broker cannot make a client forget a key.
   */
  ingestAnnouncement(topic: string, payload: Uint8Array): IngestResult {
    const parsed = parseControlTopic(this.prefix, topic);
    if (parsed?.kind !== 'announcement') {
      throw new KeyRecordError('announcement', 'wrong-topic', undefined, `Topic ${JSON.stringify(topic)} is not an announcement topic under prefix ${JSON.stringify(this.prefix)}.`);
    }
    if (payload.length === 0) return { status: 'ignored', clientId: parsed.clientId };
    try {
      return this.#ingest(parsed.clientId, payload);
    } catch (error) {
      if (error instanceof E2eeError) this.#rejections.set(parsed.clientId, error);
      throw error;
    }
  }

  #ingest(topicClientId: string, payload: Uint8Array): IngestResult {
    const a = parseAnnouncement(payload);
    const reject = (reason: 'wrong-prefix' | 'wrong-topic' | 'expired' | 'not-yet-valid' | 'rollback' | 'equivocation' | 'conflict', detail: string): never => {
      throw new KeyRecordError('announcement', reason, a.clientId, `Key announcement of client ${JSON.stringify(a.clientId)} rejected: ${detail}`);
    };
    if (a.prefix !== this.prefix) reject('wrong-prefix', `it is signed for prefix ${JSON.stringify(a.prefix)}, not ${JSON.stringify(this.prefix)}.`);
    if (a.clientId !== topicClientId) reject('wrong-topic', `it arrived on the topic of client ${JSON.stringify(topicClientId)}, so the broker moved it.`);
    const now = this.#now();
    if (now >= a.validUntil) reject('expired', `it expired at ${iso(a.validUntil)}. Ask the client to announce its key again.`);
    if (a.validFrom > now + this.#clockSkewMs) reject('not-yet-valid', `it is valid only from ${iso(a.validFrom)}. Check the clocks.`);
    const existing = this.#peers.get(a.clientId);
    if (existing !== undefined && this.policy !== 'insecure') {
      if (a.seq < existing.announcement.seq) {
        reject('rollback', `sequence number ${a.seq} is lower than ${existing.announcement.seq} seen before, so it is an old announcement replayed.`);
      }
      if (a.seq === existing.announcement.seq) {
        if (equal(a.signature, existing.announcement.signature)) {
          return { status: 'unchanged', clientId: a.clientId, peer: toPeerKeys(existing.announcement) };
        }
        reject('equivocation', `sequence number ${a.seq} was already used for different keys.`);
      }
    }
    this.#checkConflict(a, reject);
    const pins = new Set(this.#pins.get(a.clientId) ?? []);
    if (existing !== undefined) pins.add(existing.pin);
    const decision = decideTrust(a, {
      policy: this.policy,
      now,
      clockSkewMs: this.#clockSkewMs,
      anchors: this.#anchors,
      pins,
      revocations: this.#revocations.filter((r) => r.clientId === a.clientId),
    });
    this.#peers.set(a.clientId, { pin: decision.pin, announcement: a });
    this.#rejections.delete(a.clientId);
    this.#changed();
    const rotated = existing !== undefined && !equal(existing.announcement.encryptionKey, a.encryptionKey);
    return { status: rotated ? 'rotated' : 'accepted', clientId: a.clientId, peer: toPeerKeys(a) };
  }

  /** Rejects an announcement whose keys another client already announced (an unknown key share). */
  #checkConflict(a: Announcement, reject: (reason: 'conflict', detail: string) => never): void {
    for (const [clientId, entry] of this.#peers) {
      if (clientId === a.clientId) continue;
      const other = entry.announcement;
      if (equal(other.encryptionKey, a.encryptionKey) || equal(other.signingKey, a.signingKey)) {
        reject('conflict', `its key is already announced by client ${JSON.stringify(clientId)}.`);
      }
    }
  }

  /**
   * Verifies a revocation received on `topic` and stores it when one of the configured anchors
   * signed it. Returns false when it was ignored (empty payload or no anchors configured).
   */
  ingestRevocation(topic: string, payload: Uint8Array): boolean {
    const parsed = parseControlTopic(this.prefix, topic);
    if (parsed?.kind !== 'revocation') {
      throw new KeyRecordError('revocation', 'wrong-topic', undefined, `Topic ${JSON.stringify(topic)} is not a revocation topic under prefix ${JSON.stringify(this.prefix)}.`);
    }
    if (payload.length === 0) return false;
    const r = parseRevocation(payload);
    const fail = (reason: 'wrong-prefix' | 'wrong-topic' | 'untrusted', detail: string): never => {
      throw new KeyRecordError('revocation', reason, r.clientId, `Revocation of client ${JSON.stringify(r.clientId)} rejected: ${detail}`);
    };
    if (r.prefix !== this.prefix) fail('wrong-prefix', `it is signed for prefix ${JSON.stringify(r.prefix)}.`);
    if (r.clientId !== parsed.clientId || keyIdHex(r.encryptionKey) !== parsed.keyId) fail('wrong-topic', 'it arrived on the topic of another key.');
    if (!this.#anchors.some((anchor) => equal(anchor, r.anchor))) {
      if (this.#anchors.length === 0) return false;
      fail('untrusted', 'it is not signed by a configured anchor.');
    }
    return this.addRevocation(r);
  }

  /** Adds a verified revocation (for example one read from a file). Returns false if it was known. */
  addRevocation(r: Revocation): boolean {
    const known = this.#revocations.some((x) => equal(x.signature, r.signature));
    if (known) return false;
    this.#revocations.push(r);
    this.#changed();
    return true;
  }

  /** Returns whether a key (X25519 public key) is revoked. */
  isRevoked(encryptionKey: Uint8Array): boolean {
    return this.#revocations.some((r) => equal(r.encryptionKey, encryptionKey));
  }

  /**
   * Returns the verified current keys of `clientId`. Raises UnknownPeerError (with the last
   * rejection, if any), KeyRevokedError or KeyExpiredError.
   */
  peer(clientId: string): PeerKeys {
    const entry = this.#peers.get(clientId);
    if (entry === undefined) {
      throw new UnknownPeerError(clientId, 'no valid key announcement received yet', this.#rejections.get(clientId));
    }
    const a = entry.announcement;
    if (this.isRevoked(a.encryptionKey) || this.#revocations.some((r) => equal(r.signingKey, a.signingKey))) {
      throw new KeyRevokedError(clientId, keyIdHex(a.encryptionKey));
    }
    if (this.#now() >= a.validUntil) throw new KeyExpiredError(keyIdHex(a.encryptionKey), a.validUntil, 'announcement validity ended');
    return toPeerKeys(a);
  }

  /**
   * Returns the keys of `clientId` as peer() would, without its clock check: undefined when no
   * verified announcement is known, and `revoked` true when peer() raises KeyRevokedError. The
   * keys are valid while the time is before `peer.validUntil`. The result stays correct until
   * `revision` changes.
   */
  peerStatus(clientId: string): { readonly peer: PeerKeys; readonly revoked: boolean } | undefined {
    const entry = this.#peers.get(clientId);
    if (entry === undefined) return undefined;
    const a = entry.announcement;
    const revoked = this.isRevoked(a.encryptionKey) || this.#revocations.some((r) => equal(r.signingKey, a.signingKey));
    return { peer: toPeerKeys(a), revoked };
  }

  /**
   * Returns the owner and status of a sender key, current or retired, without a clock check, or
   * undefined when no stored announcement carries the key. The key may send, as resolveSender
   * would return it, while it is not revoked and the time is before `usableUntil`. The result
   * stays correct until `revision` changes.
   */
  senderKeyStatus(encryptionKey: Uint8Array): SenderKeyStatus | undefined {
    for (const [clientId, { announcement: a }] of this.#peers) {
      if (equal(a.encryptionKey, encryptionKey)) {
        return this.#status(clientId, a.encryptionKey, a.signingKey, true, a.validUntil);
      }
      const link = a.rotations.find((l) => equal(l.encryptionKey, encryptionKey));
      if (link !== undefined) {
        return this.#status(clientId, link.encryptionKey, link.signingKey, false, Math.min(a.validUntil, link.retiredAt + this.graceMs));
      }
    }
    return undefined;
  }

  #status(clientId: string, encryptionKey: Uint8Array, signingKey: Uint8Array, current: boolean, usableUntil: number): SenderKeyStatus {
    return {
      clientId,
      encryptionKey: encryptionKey.slice(),
      signingKey: signingKey.slice(),
      keyId: keyIdHex(encryptionKey),
      current,
      revoked: this.isRevoked(encryptionKey),
      usableUntil,
    };
  }

  /** Returns whether a verified announcement of `clientId` is known (it may be expired or revoked). */
  has(clientId: string): boolean {
    return this.#peers.has(clientId);
  }

  /** Returns the last rejection of an announcement of `clientId`, if the newest one was rejected. */
  lastRejection(clientId: string): E2eeError | undefined {
    return this.#rejections.get(clientId);
  }

  /** Client ids with a verified announcement. */
  clientIds(): string[] {
    return [...this.#peers.keys()];
  }

  /**
   * Returns the sender public keys with this key id that may send now: current keys that are
   * neither revoked nor expired, and retired keys within their grace period. For EnvelopeOpener.
   */
  readonly resolveSender = (keyId: Uint8Array | string): Uint8Array[] => {
    const requestedKeyId = typeof keyId === 'string' ? keyId : toHex(keyId);
    const now = this.#now();
    const out: Uint8Array[] = [];
    for (const { announcement: a } of this.#peers.values()) {
      for (const key of this.#usableKeys(a, now)) {
        if (keyIdHex(key) === requestedKeyId) out.push(key.slice());
      }
    }
    return out;
  };

  #usableKeys(a: Announcement, now: number): Uint8Array[] {
    if (now >= a.validUntil) return [];
    const keys = [a.encryptionKey, ...a.rotations.filter((link) => now < link.retiredAt + this.graceMs).map((link) => link.encryptionKey)];
    return keys.filter((key) => !this.isRevoked(key));
  }

  /**
   * Explains why no sender key matched `keyId`: KeyExpiredError for a key past its grace period or
   * validity, KeyRevokedError for a revoked key, undefined for a key never announced.
   */
  explainUnknownSender(keyId: Uint8Array | string): E2eeError | undefined {
    const requestedKeyId = typeof keyId === 'string' ? keyId : toHex(keyId);
    const revoked = this.#revocations.find((r) => keyIdHex(r.encryptionKey) === requestedKeyId);
    if (revoked !== undefined) return new KeyRevokedError(revoked.clientId, requestedKeyId);
    for (const { announcement: a } of this.#peers.values()) {
      if (keyIdHex(a.encryptionKey) === requestedKeyId) return new KeyExpiredError(requestedKeyId, a.validUntil, 'announcement validity ended');
      const link = a.rotations.find((l) => keyIdHex(l.encryptionKey) === requestedKeyId);
      if (link !== undefined) return new KeyExpiredError(requestedKeyId, link.retiredAt + this.graceMs, 'rotation grace period ended');
    }
    return undefined;
  }

  /** Returns the client id and signing key of a sender public key (current or within grace), or undefined. */
  senderOf(encryptionKey: Uint8Array): { clientId: string; signingKey: Uint8Array; current: boolean } | undefined {
    for (const [clientId, { announcement: a }] of this.#peers) {
      if (equal(a.encryptionKey, encryptionKey)) return { clientId, signingKey: a.signingKey.slice(), current: true };
      const link = a.rotations.find((l) => equal(l.encryptionKey, encryptionKey));
      if (link !== undefined) return { clientId, signingKey: link.signingKey.slice(), current: false };
    }
    return undefined;
  }

  /** Returns the encoded announcement of a client, to publish again or inspect. */
  announcementOf(clientId: string): Uint8Array | undefined {
    const entry = this.#peers.get(clientId);
    return entry === undefined ? undefined : encodeAnnouncement(entry.announcement);
  }

  /** Pins currently held for a client (configured and learned), as fingerprints. */
  pinsOf(clientId: string): string[] {
    const pins = new Set(this.#pins.get(clientId) ?? []);
    const learned = this.#peers.get(clientId)?.pin;
    if (learned !== undefined) pins.add(learned);
    return [...pins];
  }

  /** Forgets the learned pin and announcement of a client, after an operator checked a key change. */
  forget(clientId: string): boolean {
    const removed = this.#peers.delete(clientId);
    this.#rejections.delete(clientId);
    if (removed) this.#changed();
    return removed;
  }

  /** Returns the persistent state: learned pins, accepted announcements and revocations. */
  exportState(): DirectoryState {
    const peers: Record<string, { pin: string; announcement: Record<string, unknown> }> = {};
    for (const [clientId, entry] of this.#peers) {
      peers[clientId] = { pin: entry.pin, announcement: announcementToJson(entry.announcement) };
    }
    return { peers, revocations: this.#revocations.map(revocationToJson) };
  }

  #restore(state: DirectoryState): void {
    for (const record of state.revocations) {
      this.#revocations.push(parseRevocation(encodeRecord(record)));
    }
    for (const [clientId, saved] of Object.entries(state.peers)) {
      const a = parseAnnouncement(encodeRecord(saved.announcement));
      if (a.clientId !== clientId || a.prefix !== this.prefix) continue;
      this.#peers.set(clientId, { pin: normalizePin(saved.pin), announcement: a });
    }
  }

  #changed(): void {
    this.#revision++;
    for (const listener of this.#listeners) listener();
  }
}

// Key id and fingerprint are SHA-256 hashes; a stored announcement never changes, so each is
// computed once per announcement instead of on every peer() call.
const hashCache = new WeakMap<Announcement, { keyId: string; fingerprint: string }>();

function toPeerKeys(a: Announcement): PeerKeys {
  let hashes = hashCache.get(a);
  if (hashes === undefined) {
    hashes = { keyId: keyIdHex(a.encryptionKey), fingerprint: signingKeyFingerprint(a.signingKey) };
    hashCache.set(a, hashes);
  }
  return {
    clientId: a.clientId,
    encryptionKey: a.encryptionKey.slice(),
    signingKey: a.signingKey.slice(),
    keyId: hashes.keyId,
    seq: a.seq,
    validUntil: a.validUntil,
    fingerprint: hashes.fingerprint,
  };
}

function checkDuration(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${field} must be a non-negative integer of milliseconds, got ${value}`);
  return value;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
