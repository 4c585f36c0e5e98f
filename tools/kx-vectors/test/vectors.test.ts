/**
 * Checks test-vectors/key-exchange-v1.json: no drift from a fresh generation, and every signed
 * byte string, signature and group envelope recomputed here from the spec's layouts with
 * @noble primitives and Buffer, independently of the package's own encoders.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  KeyRecordError,
  decodeAnchorPublicKey,
  decodePublicKey,
  decodeSigningPublicKey,
  parseAnnouncement,
  parseEndorsement,
  parseRevocation,
} from '@mqtt-e2ee/key-exchange';
import { generateKxVectors, serializeKxVectors, type KxVectorFile } from '../src/index.js';

const path = fileURLToPath(new URL('../../../test-vectors/key-exchange-v1.json', import.meta.url));
const storedText = readFileSync(path, 'utf8');
const stored = JSON.parse(storedText) as KxVectorFile;
const hex = (value: string) => Buffer.from(value, 'hex');
const utf8 = (value: string) => Buffer.from(value, 'utf8');

/** Length-prefixed field encoding of the spec: uint16 length || bytes, and uint64 integers. */
function text(value: string): Buffer {
  const bytes = utf8(value);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
function raw(value: Uint8Array): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(value.length);
  return Buffer.concat([length, Buffer.from(value)]);
}
function u64(value: number | bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}
const b64 = (value: string) => Buffer.from(value, 'base64url');

type Json = Record<string, unknown>;

function announcementSignedBytes(a: Json): Buffer {
  const rotations = a['rotations'] as Json[];
  const endorsements = a['endorsements'] as Json[];
  return Buffer.concat([
    text('mqtt-e2ee/v1 announcement'),
    text(a['prefix'] as string),
    text(a['clientId'] as string),
    u64(a['seq'] as number),
    u64(a['validFrom'] as number),
    u64(a['validUntil'] as number),
    raw(decodePublicKey(a['encryptionKey'] as string)),
    raw(decodeSigningPublicKey(a['signingKey'] as string)),
    u64(rotations.length),
    ...rotations.map((r) => raw(b64(r['signature'] as string))),
    u64(endorsements.length),
    ...endorsements.map((e) => raw(b64(e['signature'] as string))),
  ]);
}

function endorsementSignedBytes(e: Json): Buffer {
  return Buffer.concat([
    text('mqtt-e2ee/v1 endorsement'),
    text(e['prefix'] as string),
    text(e['clientId'] as string),
    raw(decodePublicKey(e['encryptionKey'] as string)),
    raw(decodeSigningPublicKey(e['signingKey'] as string)),
    raw(decodeAnchorPublicKey(e['anchor'] as string)),
    u64(e['validFrom'] as number),
    u64(e['validUntil'] as number),
  ]);
}

function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return ed25519.verify(signature, message, publicKey, { zip215: false });
}

describe('key exchange vectors', () => {
  it('match a fresh generation', () => {
    expect(serializeKxVectors(generateKxVectors()) === storedText, 'run the kx-vectors script to regenerate').toBe(true);
  });

  it('key texts decode to raw keys', () => {
    for (const [name, entry] of Object.entries(stored.keys)) {
      if (name === 'anchor') continue;
      const keys = entry as Record<string, string>;
      expect(Buffer.from(decodePublicKey(keys['publicKeyText'] as string)).toString('hex')).toBe(keys['x25519PublicKey']);
      expect(Buffer.from(decodeSigningPublicKey(keys['signingPublicKeyText'] as string)).toString('hex')).toBe(keys['ed25519PublicKey']);
      expect(Buffer.from(ed25519.getPublicKey(hex(keys['ed25519Seed'] as string))).toString('hex')).toBe(keys['ed25519PublicKey']);
    }
    expect(Buffer.from(decodeAnchorPublicKey(stored.keys.anchor.publicKeyText)).toString('hex')).toBe(stored.keys.anchor.ed25519PublicKey);
  });

  it('valid announcements verify independently', () => {
    for (const vector of stored.announcements.valid) {
      const json = JSON.parse(vector.payload) as Json;
      const signed = announcementSignedBytes(json);
      expect(signed.toString('hex'), vector.id).toBe(vector.signedBytes);
      const signingKey = decodeSigningPublicKey(json['signingKey'] as string);
      expect(verify(signingKey, signed, b64(json['signature'] as string)), vector.id).toBe(true);
      const rotations = json['rotations'] as Json[];
      rotations.forEach((link, index) => {
        const next = (rotations[index + 1] ?? json) as Json;
        const bytes = Buffer.concat([
          text('mqtt-e2ee/v1 rotation'),
          text(json['prefix'] as string),
          text(json['clientId'] as string),
          raw(decodePublicKey(link['encryptionKey'] as string)),
          raw(decodeSigningPublicKey(link['signingKey'] as string)),
          raw(decodePublicKey(next['encryptionKey'] as string)),
          raw(decodeSigningPublicKey(next['signingKey'] as string)),
          u64(link['retiredAt'] as number),
        ]);
        expect(bytes.toString('hex')).toBe(vector.rotationSignedBytes[index]);
        expect(verify(decodeSigningPublicKey(link['signingKey'] as string), bytes, b64(link['signature'] as string))).toBe(true);
      });
      expect(parseAnnouncement(utf8(vector.payload)).clientId).toBe(json['clientId']);
    }
  });

  it('invalid announcements are rejected', () => {
    for (const vector of stored.announcements.invalid) {
      let reason: string | undefined;
      try {
        parseAnnouncement(utf8(vector.payload));
      } catch (error) {
        if (error instanceof KeyRecordError) reason = error.reason;
      }
      expect(reason, vector.id).toBe(vector.reason);
    }
  });

  it('endorsement and revocation verify', () => {
    const endorsement = JSON.parse(stored.announcements.endorsement.payload) as Json;
    const signed = endorsementSignedBytes(endorsement);
    expect(signed.toString('hex')).toBe(stored.announcements.endorsement.signedBytes);
    expect(verify(hex(stored.keys.anchor.ed25519PublicKey), signed, b64(endorsement['signature'] as string))).toBe(true);
    expect(parseEndorsement(utf8(stored.announcements.endorsement.payload)).clientId).toBe('bob');

    const revocation = JSON.parse(stored.revocation.payload) as Json;
    const revocationBytes = Buffer.concat([
      text('mqtt-e2ee/v1 revocation'),
      text(revocation['prefix'] as string),
      text(revocation['clientId'] as string),
      raw(decodePublicKey(revocation['encryptionKey'] as string)),
      raw(decodeSigningPublicKey(revocation['signingKey'] as string)),
      u64(revocation['revokedAt'] as number),
      text(revocation['reason'] as string),
      raw(decodeAnchorPublicKey(revocation['anchor'] as string)),
    ]);
    expect(revocationBytes.toString('hex')).toBe(stored.revocation.signedBytes);
    expect(verify(hex(stored.keys.anchor.ed25519PublicKey), revocationBytes, b64(revocation['signature'] as string))).toBe(true);
    expect(parseRevocation(utf8(stored.revocation.payload)).reason).toBe('device lost');
  });

  it('group envelopes decrypt independently', () => {
    for (const vector of stored.groupEnvelopes) {
      const prk = extract(sha256, hex(vector.epochSecret), utf8('mqtt-e2ee/v1 group epoch'));
      const info = Buffer.concat([text('mqtt-e2ee/v1 group'), text(vector.prefix), text(vector.groupId), text(vector.sender)]);
      const okm = Buffer.from(expand(sha256, prk, info, 52));
      expect(okm.subarray(0, 8).toString('hex'), vector.id).toBe(vector.epochId);
      expect(okm.subarray(8, 40).toString('hex')).toBe(vector.key);
      expect(okm.subarray(40, 52).toString('hex')).toBe(vector.baseNonce);
      const envelope = hex(vector.envelope);
      const signed = vector.signerPublicKey !== null;
      expect([...envelope.subarray(0, 4)]).toEqual([1, 1, 2, signed ? 1 : 0]);
      expect(envelope.subarray(4, 12).toString('hex')).toBe(vector.epochId);
      expect(envelope.readBigUInt64BE(12).toString()).toBe(vector.seq);
      const nonce = Buffer.from(okm.subarray(40, 52));
      const seqBytes = u64(BigInt(vector.seq));
      for (let i = 0; i < 8; i++) nonce[4 + i] = (nonce[4 + i] as number) ^ (seqBytes[i] as number);
      expect(nonce.toString('hex')).toBe(vector.nonce);
      const topic = utf8(vector.topic);
      const topicLength = Buffer.alloc(2);
      topicLength.writeUInt16BE(topic.length);
      const aad = Buffer.concat([envelope.subarray(0, 20), topicLength, topic]);
      expect(aad.toString('hex')).toBe(vector.aad);
      const end = signed ? envelope.length - 64 : envelope.length;
      const sealed = envelope.subarray(20, end);
      const plaintext = chacha20poly1305(okm.subarray(8, 40), nonce, aad).decrypt(sealed);
      expect(Buffer.from(plaintext).toString('hex')).toBe(vector.plaintext);
      if (signed) {
        const message = Buffer.concat([utf8('mqtt-e2ee/v1 group message'), aad, sealed]);
        expect(verify(hex(vector.signerPublicKey as string), message, envelope.subarray(end))).toBe(true);
      } else {
        expect(envelope.length - plaintext.length).toBe(36);
      }
    }
  });
});
