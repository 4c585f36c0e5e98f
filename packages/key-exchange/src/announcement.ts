/**
 * Signed key announcements (spec/key-exchange-v1.md, "Key announcements"). An announcement binds
 * a client id and the topic prefix to an X25519 encryption key and an Ed25519 signing key for a
 * validity period, with a sequence number that only grows. Rotation links signed by earlier keys
 * and anchor endorsements travel inside it, so one retained message carries all the proof.
 */
import { keyIdHex } from '@mqtt-e2ee/envelope';
import {
  endorsementFromJson,
  endorsementToJson,
  type Endorsement,
} from './anchor.js';
import { RecordReader, SignedBytesBuilder, encodeBase64Url, encodeRecord } from './codec.js';
import { KeyRecordError } from './errors.js';
import type { DeviceIdentity } from './identity.js';
import { decodePublicKey, encodePublicKey } from './keytext.js';
import {
  ED25519_SIGNATURE_LENGTH,
  decodeSigningPublicKey,
  encodeSigningPublicKey,
  signBytes,
  verifyBytes,
} from './signing.js';
import { checkName, checkPrefix } from './topics.js';

/** Largest announcement accepted, in bytes. */
export const MAX_ANNOUNCEMENT_BYTES = 16 * 1024;
/** Most rotation links an announcement keeps. Older links are dropped when a new one is added. */
export const MAX_ROTATION_LINKS = 8;
/** Most endorsements an announcement carries. */
export const MAX_ENDORSEMENTS = 4;

/** A retired key pair, with a signature by its signing key over the key pair that replaced it. */
export interface RotationLink {
  readonly encryptionKey: Uint8Array;
  readonly signingKey: Uint8Array;
  /** Milliseconds since the Unix epoch when the key was retired. Its grace period starts here. */
  readonly retiredAt: number;
  readonly signature: Uint8Array;
}

/** A parsed key announcement whose signatures (self, rotation links, endorsements) verified. */
export interface Announcement {
  readonly prefix: string;
  readonly clientId: string;
  readonly seq: number;
  readonly validFrom: number;
  readonly validUntil: number;
  readonly encryptionKey: Uint8Array;
  readonly signingKey: Uint8Array;
  /** Oldest first. Link i is signed by its own key over link i+1, and the last over the current keys. */
  readonly rotations: readonly RotationLink[];
  readonly endorsements: readonly Endorsement[];
  readonly signature: Uint8Array;
}

interface KeyPairPublic {
  readonly encryptionKey: Uint8Array;
  readonly signingKey: Uint8Array;
}

/** Bytes the self-signature of an announcement covers (spec/key-exchange-v1.md, "Signed bytes"). */
export function announcementBytes(a: Omit<Announcement, 'signature'>): Uint8Array {
  const builder = new SignedBytesBuilder('mqtt-e2ee/v1 announcement')
    .text(a.prefix)
    .text(a.clientId)
    .integer(a.seq)
    .integer(a.validFrom)
    .integer(a.validUntil)
    .bytes(a.encryptionKey)
    .bytes(a.signingKey)
    .integer(a.rotations.length);
  for (const link of a.rotations) builder.bytes(link.signature);
  builder.integer(a.endorsements.length);
  for (const endorsement of a.endorsements) builder.bytes(endorsement.signature);
  return builder.build();
}

/** Bytes a rotation link signature covers: the old key pair vouches for the next one. */
export function rotationBytes(prefix: string, clientId: string, old: KeyPairPublic, next: KeyPairPublic, retiredAt: number): Uint8Array {
  return new SignedBytesBuilder('mqtt-e2ee/v1 rotation')
    .text(prefix)
    .text(clientId)
    .bytes(old.encryptionKey)
    .bytes(old.signingKey)
    .bytes(next.encryptionKey)
    .bytes(next.signingKey)
    .integer(retiredAt)
    .build();
}

function checkTime(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be milliseconds since the Unix epoch (a non-negative integer), got ${value}`);
  }
  return value;
}

/** Options of createAnnouncement. */
export interface AnnouncementOptions {
  readonly identity: DeviceIdentity;
  readonly prefix: string;
  readonly clientId: string;
  /** Sequence number, greater than that of every earlier announcement of this client. */
  readonly seq: number;
  readonly validFrom: number;
  readonly validUntil: number;
  readonly rotations?: readonly RotationLink[];
  readonly endorsements?: readonly Endorsement[];
}

/** Creates and signs an announcement of `identity`. */
export function createAnnouncement(options: AnnouncementOptions): Announcement {
  const rotations = options.rotations ?? [];
  const endorsements = options.endorsements ?? [];
  if (rotations.length > MAX_ROTATION_LINKS) throw new RangeError(`at most ${MAX_ROTATION_LINKS} rotation links, got ${rotations.length}`);
  if (endorsements.length > MAX_ENDORSEMENTS) throw new RangeError(`at most ${MAX_ENDORSEMENTS} endorsements, got ${endorsements.length}`);
  checkTime('validFrom', options.validFrom);
  checkTime('validUntil', options.validUntil);
  if (options.validUntil <= options.validFrom) throw new RangeError('validUntil must be after validFrom');
  const unsigned = {
    prefix: checkPrefix(options.prefix),
    clientId: checkName(options.clientId, 'clientId'),
    seq: checkTime('seq', options.seq),
    validFrom: options.validFrom,
    validUntil: options.validUntil,
    encryptionKey: options.identity.publicKey.slice(),
    signingKey: options.identity.signing.publicKey.slice(),
    rotations: [...rotations],
    endorsements: [...endorsements],
  };
  const announcement = { ...unsigned, signature: signBytes(options.identity.signing, announcementBytes(unsigned)) };
  verifyStructure(announcement);
  return announcement;
}

/**
 * Creates the rotation link from `old` to `next`, signed by the old signing key. Prepend the old
 * announcement's links to it and announce `next` with a higher sequence number.
 */
export function createRotationLink(
  prefix: string,
  clientId: string,
  old: DeviceIdentity,
  next: DeviceIdentity,
  retiredAt: number,
): RotationLink {
  const oldKeys = { encryptionKey: old.publicKey, signingKey: old.signing.publicKey };
  const nextKeys = { encryptionKey: next.publicKey, signingKey: next.signing.publicKey };
  const bytes = rotationBytes(checkPrefix(prefix), checkName(clientId, 'clientId'), oldKeys, nextKeys, checkTime('retiredAt', retiredAt));
  return {
    encryptionKey: old.publicKey.slice(),
    signingKey: old.signing.publicKey.slice(),
    retiredAt,
    signature: signBytes(old.signing, bytes),
  };
}

/** Returns the key pairs of an announcement, oldest first, ending with the current one. */
export function keyChain(a: Announcement): KeyPairPublic[] {
  return [...a.rotations, { encryptionKey: a.encryptionKey, signingKey: a.signingKey }];
}

function sameKeys(a: KeyPairPublic, b: KeyPairPublic): boolean {
  return equal(a.encryptionKey, b.encryptionKey) && equal(a.signingKey, b.signingKey);
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // A plain loop: the receive path compares a sender key on every message.
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

function fail(a: Pick<Announcement, 'clientId'>, reason: 'signature' | 'rotation' | 'endorsement', detail: string): KeyRecordError {
  return new KeyRecordError('announcement', reason, a.clientId, `Key announcement of client ${JSON.stringify(a.clientId)} rejected: ${detail}`);
}

/** Verifies the self-signature, every rotation link and every endorsement signature. */
function verifyStructure(a: Announcement): void {
  if (!verifyBytes(a.signingKey, announcementBytes(a), a.signature)) {
    throw fail(a, 'signature', 'the signature does not verify with its signing key, so it was altered or forged.');
  }
  const chain = keyChain(a);
  let retiredBefore = 0;
  a.rotations.forEach((link, index) => {
    const next = chain[index + 1] as KeyPairPublic;
    const bytes = rotationBytes(a.prefix, a.clientId, link, next, link.retiredAt);
    if (!verifyBytes(link.signingKey, bytes, link.signature)) {
      throw fail(a, 'rotation', `rotation link ${index} is not signed by the key it retires.`);
    }
    if (link.retiredAt < retiredBefore) throw fail(a, 'rotation', `rotation link ${index} retires a key before the previous link did.`);
    retiredBefore = link.retiredAt;
  });
  for (const endorsement of a.endorsements) {
    if (endorsement.clientId !== a.clientId || endorsement.prefix !== a.prefix) {
      throw fail(a, 'endorsement', `an endorsement is for client ${JSON.stringify(endorsement.clientId)} under prefix ${JSON.stringify(endorsement.prefix)}.`);
    }
    if (!chain.some((keys) => sameKeys(keys, endorsement))) {
      throw fail(a, 'endorsement', 'an endorsement covers a key that is not in the announcement.');
    }
  }
}

/** JSON form of an announcement. */
export function announcementToJson(a: Announcement): Record<string, unknown> {
  return {
    v: 1,
    kind: 'mqe2e-announcement',
    prefix: a.prefix,
    clientId: a.clientId,
    seq: a.seq,
    validFrom: a.validFrom,
    validUntil: a.validUntil,
    encryptionKey: encodePublicKey(a.encryptionKey),
    signingKey: encodeSigningPublicKey(a.signingKey),
    rotations: a.rotations.map(rotationLinkToJson),
    endorsements: a.endorsements.map(endorsementToJson),
    signature: encodeBase64Url(a.signature),
  };
}

/** JSON form of a rotation link. */
export function rotationLinkToJson(link: RotationLink): RotationLinkJson {
  return {
    encryptionKey: encodePublicKey(link.encryptionKey),
    signingKey: encodeSigningPublicKey(link.signingKey),
    retiredAt: link.retiredAt,
    signature: encodeBase64Url(link.signature),
  };
}

/** JSON form of a rotation link, as in announcements and saved state. */
export interface RotationLinkJson {
  readonly encryptionKey: string;
  readonly signingKey: string;
  readonly retiredAt: number;
  readonly signature: string;
}

/** Reads a rotation link from its JSON form. Its signature is checked when an announcement carrying it is parsed or created. */
export function rotationLinkFromJson(value: unknown, index = 0): RotationLink {
  return readLink(value, index);
}

/** Encodes an announcement as UTF-8 JSON, the payload of its retained message. */
export function encodeAnnouncement(a: Announcement): Uint8Array {
  return encodeRecord(announcementToJson(a));
}

function readLink(value: unknown, index: number): RotationLink {
  const reader = new RecordReader('announcement', value, `rotation link ${index}`);
  const link = {
    encryptionKey: reader.key('encryptionKey', decodePublicKey),
    signingKey: reader.key('signingKey', decodeSigningPublicKey),
    retiredAt: reader.integer('retiredAt'),
    signature: reader.bytes('signature', ED25519_SIGNATURE_LENGTH),
  };
  reader.finish();
  return link;
}

/**
 * Parses an announcement from UTF-8 JSON and verifies all its signatures. It checks neither the
 * validity period, nor the topic, nor any trust policy: KeyDirectory does that.
 */
export function parseAnnouncement(payload: Uint8Array): Announcement {
  const reader = new RecordReader('announcement', RecordReader.parse('announcement', payload, MAX_ANNOUNCEMENT_BYTES));
  reader.literal('v', 1);
  reader.literal('kind', 'mqe2e-announcement');
  const clientId = reader.string('clientId', /^[A-Za-z0-9._-]{1,64}$/);
  reader.clientId = clientId;
  const announcement: Announcement = {
    prefix: reader.string('prefix', undefined, 200),
    clientId,
    seq: reader.integer('seq'),
    validFrom: reader.integer('validFrom'),
    validUntil: reader.integer('validUntil'),
    encryptionKey: reader.key('encryptionKey', decodePublicKey),
    signingKey: reader.key('signingKey', decodeSigningPublicKey),
    rotations: reader.array('rotations', MAX_ROTATION_LINKS).map(readLink),
    endorsements: reader.array('endorsements', MAX_ENDORSEMENTS).map((item) => {
      try {
        return endorsementFromJson(item);
      } catch (error) {
        throw fail({ clientId }, 'endorsement', (error as Error).message);
      }
    }),
    signature: reader.bytes('signature', ED25519_SIGNATURE_LENGTH),
  };
  reader.finish();
  if (announcement.validUntil <= announcement.validFrom) throw reader.error('validUntil must be after validFrom');
  verifyStructure(announcement);
  return announcement;
}

/** Key id (X25519) of the current key of an announcement. */
export function announcementKeyId(a: Announcement): string {
  return keyIdHex(a.encryptionKey);
}
