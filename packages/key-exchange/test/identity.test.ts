import { randomBytes } from 'node:crypto';
import { EnvelopeOpener, EnvelopeSealer, UnknownSenderError } from '@mqtt-e2ee/envelope';
import { nodeProvider } from '@mqtt-e2ee/envelope/node';
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  PUBLIC_KEY_PREFIX,
  PeerDirectory,
  SECRET_KEY_PREFIX,
  generateIdentity,
  identityFromSecretKeyText,
  keyIdHex,
  publicKeyText,
  secretKeyText,
} from '../src/index.js';
import { buildKeyText, fixedBytes } from './helpers.js';

function expectedKeyId(publicKey: Uint8Array): string {
  const digest = sha256(Buffer.concat([Buffer.from('mqtt-e2ee key id v1', 'ascii'), publicKey]));
  return Buffer.from(digest.subarray(0, 8)).toString('hex');
}

describe('identities', () => {
  it('generateIdentity yields a matching pair', () => {
    const identity = generateIdentity();
    expect(identity.secretKey).toHaveLength(32);
    expect(identity.publicKey).toEqual(x25519.getPublicKey(identity.secretKey));
    expect(generateIdentity().secretKey).not.toEqual(identity.secretKey);
  });

  it('generateIdentity accepts the node provider', () => {
    const identity = generateIdentity(nodeProvider);
    expect(identity.publicKey).toEqual(x25519.getPublicKey(identity.secretKey));
  });

  it('rebuilds identity from secret text', () => {
    const secretKey = fixedBytes('identity test secret');
    const identity = identityFromSecretKeyText(buildKeyText(SECRET_KEY_PREFIX, secretKey));
    expect(identity.secretKey).toEqual(secretKey);
    expect(identity.publicKey).toEqual(x25519.getPublicKey(secretKey));
  });

  it('key texts round trip', () => {
    const identity = generateIdentity();
    expect(secretKeyText(identity)).toBe(buildKeyText(SECRET_KEY_PREFIX, identity.secretKey));
    expect(identityFromSecretKeyText(secretKeyText(identity))).toEqual(identity);
    const text = publicKeyText(identity);
    expect(text).toBe(buildKeyText(PUBLIC_KEY_PREFIX, identity.publicKey));
    expect(publicKeyText(identity.publicKey)).toBe(text);
    expect(publicKeyText(text)).toBe(text);
  });

  it('keyIdHex matches the key id definition', () => {
    const identity = generateIdentity();
    const expected = expectedKeyId(identity.publicKey);
    expect(keyIdHex(identity)).toBe(expected);
    expect(keyIdHex(identity.publicKey)).toBe(expected);
    expect(keyIdHex(publicKeyText(identity))).toBe(expected);
  });
});

describe('PeerDirectory with the envelope', () => {
  it('resolves senders for EnvelopeOpener', () => {
    const alice = generateIdentity();
    const bob = generateIdentity();
    const peers = new PeerDirectory([{ key: publicKeyText(alice), name: 'alice' }]);
    const sealer = new EnvelopeSealer({ identity: alice });
    const opener = new EnvelopeOpener({ identities: [bob], resolveSender: peers.resolve });
    const topic = `e2ee/${randomBytes(6).toString('hex')}/t`;
    const envelope = sealer.seal(topic, new TextEncoder().encode('hello'), bob.publicKey);
    const opened = opener.open(topic, envelope);
    expect(new TextDecoder().decode(opened.plaintext)).toBe('hello');
    expect(opened.senderKeyId).toBe(keyIdHex(alice));

    const strangerSealer = new EnvelopeSealer({ identity: generateIdentity() });
    const fromStranger = strangerSealer.seal(topic, new Uint8Array([1]), bob.publicKey);
    expect(() => opener.open(topic, fromStranger)).toThrow(UnknownSenderError);
  });
});
