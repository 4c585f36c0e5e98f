import { KEY_ID_LENGTH, keyIdHex as keyIdHexOfBytes } from '@mqtt-e2ee/envelope';
import { bytesToHex } from '@noble/hashes/utils.js';
import { encodePublicKey, toPublicKey, type PublicKeyInput } from './keytext.js';

/** A known peer public key. */
export interface Peer {
  /** Key id as 16 lowercase hex characters. */
  readonly keyId: string;
  /** The 32-byte X25519 public key. */
  readonly publicKey: Uint8Array;
  /** The public key as key text ("mqe2e-pk1-…"). */
  readonly publicKeyText: string;
  /** Optional human-readable label, for logs and listings. */
  readonly name?: string;
}

/** Entry for the PeerDirectory constructor: a key, or a key with a name. */
export type PeerInit = PublicKeyInput | { readonly key: PublicKeyInput; readonly name?: string };

/** Longest accepted peer name in characters. */
export const MAX_PEER_NAME_LENGTH = 256;

const HEX_KEY_ID = /^[0-9a-f]{16}$/;

function checkName(name: unknown): string {
  if (typeof name !== 'string') {
    throw new TypeError(`Peer name must be a string, got ${name === null ? 'null' : typeof name}`);
  }
  if (name.length === 0 || name.length > MAX_PEER_NAME_LENGTH) {
    throw new RangeError(`Peer name must have 1 to ${MAX_PEER_NAME_LENGTH} characters, got ${name.length}`);
  }
  // Names are written to peer files one per line, so control characters would break the file.
  if (/\p{Cc}/u.test(name)) {
    throw new RangeError('Peer name must not contain control characters such as line breaks');
  }
  return name;
}

/** Normalizes a key id given as 8 bytes or 16 hex characters to lowercase hex. */
function keyIdToHex(keyId: unknown): string {
  if (keyId instanceof Uint8Array) {
    if (keyId.length !== KEY_ID_LENGTH) {
      throw new RangeError(`Key id must be ${KEY_ID_LENGTH} bytes long, got ${keyId.length} bytes`);
    }
    return bytesToHex(keyId);
  }
  if (typeof keyId === 'string') {
    const lower = keyId.toLowerCase();
    if (!HEX_KEY_ID.test(lower)) {
      throw new RangeError(`Key id must be 16 hex characters, got ${JSON.stringify(keyId.slice(0, 40))}`);
    }
    return lower;
  }
  throw new TypeError(
    `Key id must be a Uint8Array or a hex string, got ${keyId === null ? 'null' : typeof keyId}`,
  );
}

function samePublicKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/**
 * In-memory directory of peer public keys, indexed by key id. Several keys may share a key id
 * (an 8-byte id can collide), so lookups return every candidate and the envelope layer tries each.
 */
export class PeerDirectory {
  readonly #byKeyId = new Map<string, Peer[]>();
  #revision = 0;

  constructor(peers: Iterable<PeerInit> = []) {
    for (const entry of peers) {
      if (typeof entry === 'string' || entry instanceof Uint8Array) {
        this.addPeer(entry);
      } else {
        this.addPeer(entry.key, entry.name);
      }
    }
  }

  /** Number of distinct public keys. */
  get size(): number {
    let count = 0;
    for (const peers of this.#byKeyId.values()) count += peers.length;
    return count;
  }

  /**
   * Counts the changes to the set of keys: it grows by one whenever addPeer adds a key or
   * removePeer removes one. A caller that checked a key against the directory can skip the check
   * until the revision changes.
   */
  get revision(): number {
    return this.#revision;
  }

  /**
   * Adds a public key, given as key text or 32 raw bytes, after the strict checks of toPublicKey.
   * Adding a key that is already present keeps one entry and replaces its name when `name` is given.
   */
  addPeer(key: PublicKeyInput, name?: string): Peer {
    const publicKey = toPublicKey(key);
    const checkedName = name === undefined ? undefined : checkName(name);
    const keyId = keyIdHexOfBytes(publicKey);
    const peers = this.#byKeyId.get(keyId) ?? [];
    const index = peers.findIndex((peer) => samePublicKey(peer.publicKey, publicKey));
    const existing = index >= 0 ? peers[index] : undefined;
    if (existing !== undefined && checkedName === undefined) {
      return copyPeer(existing);
    }
    const peer: Peer = Object.freeze({
      keyId,
      publicKey,
      publicKeyText: encodePublicKey(publicKey),
      ...(checkedName !== undefined ? { name: checkedName } : {}),
    });
    if (index >= 0) {
      peers[index] = peer;
    } else {
      peers.push(peer);
      this.#revision++;
    }
    this.#byKeyId.set(keyId, peers);
    return copyPeer(peer);
  }

  /** Removes a public key. Returns whether it was present. */
  removePeer(key: PublicKeyInput): boolean {
    const publicKey = toPublicKey(key);
    const keyId = keyIdHexOfBytes(publicKey);
    const peers = this.#byKeyId.get(keyId);
    const index = peers?.findIndex((peer) => samePublicKey(peer.publicKey, publicKey)) ?? -1;
    if (peers === undefined || index < 0) {
      return false;
    }
    peers.splice(index, 1);
    this.#revision++;
    if (peers.length === 0) {
      this.#byKeyId.delete(keyId);
    }
    return true;
  }

  /** Returns whether the public key is in the directory. */
  has(key: PublicKeyInput): boolean {
    const publicKey = toPublicKey(key);
    const peers = this.#byKeyId.get(keyIdHexOfBytes(publicKey)) ?? [];
    return peers.some((peer) => samePublicKey(peer.publicKey, publicKey));
  }

  /** Returns the peers whose key id matches, given as 8 bytes or 16 hex characters. */
  peersWithKeyId(keyId: Uint8Array | string): Peer[] {
    return (this.#byKeyId.get(keyIdToHex(keyId)) ?? []).map(copyPeer);
  }

  /** Returns the peers that carry this name. */
  peersNamed(name: string): Peer[] {
    return this.list().filter((peer) => peer.name === name);
  }

  /** Returns every peer, in insertion order within each key id. */
  list(): Peer[] {
    return [...this.#byKeyId.values()].flat().map(copyPeer);
  }

  /**
   * Returns copies of the public keys with this key id, or [] when none is known. This is an
   * arrow function so it can be passed directly as EnvelopeOpener's `resolveSender`.
   */
  readonly resolve = (keyId: Uint8Array | string): Uint8Array[] => {
    return (this.#byKeyId.get(keyIdToHex(keyId)) ?? []).map((peer) => peer.publicKey.slice());
  };
}

/** Copies a peer so that callers cannot change the stored public key bytes. */
function copyPeer(peer: Peer): Peer {
  return { ...peer, publicKey: peer.publicKey.slice() };
}
