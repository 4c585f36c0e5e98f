import { describe, expect, it } from 'vitest';
import {
  KeyFormatError,
  PUBLIC_KEY_PREFIX,
  PeerDirectory,
  generateIdentity,
  keyIdHex,
  publicKeyText,
} from '../src/index.js';
import { buildKeyText } from './helpers.js';

describe('PeerDirectory', () => {
  const alice = generateIdentity();
  const bob = generateIdentity();

  it('resolves by key id bytes and hex', () => {
    const peers = new PeerDirectory();
    const added = peers.addPeer(publicKeyText(alice), 'alice');
    expect(added.keyId).toBe(keyIdHex(alice));
    expect(added.name).toBe('alice');
    expect(added.publicKeyText).toBe(publicKeyText(alice));
    const idBytes = Buffer.from(keyIdHex(alice), 'hex');
    expect(peers.resolve(idBytes)).toEqual([alice.publicKey]);
    expect(peers.resolve(keyIdHex(alice))).toEqual([alice.publicKey]);
    expect(peers.resolve(keyIdHex(alice).toUpperCase())).toEqual([alice.publicKey]);
  });

  it('returns empty list when unknown', () => {
    const peers = new PeerDirectory([alice.publicKey]);
    expect(peers.resolve(Buffer.from(keyIdHex(bob), 'hex'))).toEqual([]);
    expect(peers.has(bob.publicKey)).toBe(false);
    expect(peers.has(alice.publicKey)).toBe(true);
  });

  it('accepts raw bytes and text', () => {
    const peers = new PeerDirectory([alice.publicKey, { key: publicKeyText(bob), name: 'bob' }]);
    expect(peers.size).toBe(2);
    expect(peers.peersNamed('bob').map((peer) => peer.keyId)).toEqual([keyIdHex(bob)]);
    expect(
      peers
        .list()
        .map((peer) => peer.keyId)
        .sort(),
    ).toEqual([keyIdHex(alice), keyIdHex(bob)].sort());
  });

  it('keeps one entry per key', () => {
    const peers = new PeerDirectory();
    peers.addPeer(alice.publicKey, 'first');
    peers.addPeer(publicKeyText(alice));
    expect(peers.size).toBe(1);
    expect(peers.peersWithKeyId(keyIdHex(alice))[0]?.name).toBe('first');
    peers.addPeer(alice.publicKey, 'second');
    expect(peers.size).toBe(1);
    expect(peers.peersWithKeyId(keyIdHex(alice))[0]?.name).toBe('second');
  });

  it('removes peers', () => {
    const peers = new PeerDirectory([alice.publicKey, bob.publicKey]);
    expect(peers.removePeer(publicKeyText(alice))).toBe(true);
    expect(peers.removePeer(alice.publicKey)).toBe(false);
    expect(peers.resolve(keyIdHex(alice))).toEqual([]);
    expect(peers.size).toBe(1);
  });

  it('returns copies of stored keys', () => {
    const peers = new PeerDirectory([alice.publicKey]);
    const [resolved] = peers.resolve(keyIdHex(alice));
    resolved?.fill(0);
    expect(peers.resolve(keyIdHex(alice))).toEqual([alice.publicKey]);
    const input = alice.publicKey.slice();
    const other = new PeerDirectory([input]);
    input.fill(1);
    expect(other.resolve(keyIdHex(alice))).toEqual([alice.publicKey]);
  });

  it('rejects invalid keys and names', () => {
    const peers = new PeerDirectory();
    expect(() => peers.addPeer(new Uint8Array(32))).toThrow(KeyFormatError);
    expect(() => peers.addPeer(buildKeyText(PUBLIC_KEY_PREFIX, new Uint8Array(32)))).toThrow(/low-order/);
    expect(() => peers.addPeer('mqe2e-pk1-nonsense')).toThrow(KeyFormatError);
    expect(() => peers.addPeer(alice.publicKey, '')).toThrow(RangeError);
    expect(() => peers.addPeer(alice.publicKey, 'a\nb')).toThrow(RangeError);
    expect(peers.size).toBe(0);
  });

  it('rejects malformed key ids', () => {
    const peers = new PeerDirectory();
    expect(() => peers.resolve(new Uint8Array(7))).toThrow(RangeError);
    expect(() => peers.resolve('xyz')).toThrow(RangeError);
    expect(() => peers.resolve(5 as unknown as string)).toThrow(TypeError);
  });
});
