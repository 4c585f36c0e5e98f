/**
 * Organisation trust anchors: an offline Ed25519 key that endorses device keys and revokes them
 * (spec/key-exchange-v1.md, "Endorsements" and "Revocations").
 */
import { nobleProvider, type CryptoProvider, type KeyPair } from '@mqtt-e2ee/envelope';
import { keyIdHex } from '@mqtt-e2ee/envelope';
import { RecordReader, SignedBytesBuilder, encodeBase64Url, encodeRecord } from './codec.js';
import { KeyRecordError } from './errors.js';
import { hasSigningKey, type DeviceIdentity } from './identity.js';
import { decodePublicKey, encodePublicKey } from './keytext.js';
import {
  ED25519_SIGNATURE_LENGTH,
  decodeAnchorPublicKey,
  decodeSigningPublicKey,
  encodeAnchorPublicKey,
  encodeSigningPublicKey,
  generateSigningKeyPair,
  signBytes,
  signingKeyIdHex,
  verifyBytes,
  type SigningKeyPair,
} from './signing.js';
import { checkName, checkPrefix } from './topics.js';

/** An anchor endorsement of one device key pair under one client id. */
export interface Endorsement {
  readonly prefix: string;
  readonly clientId: string;
  readonly encryptionKey: Uint8Array;
  readonly signingKey: Uint8Array;
  readonly anchor: Uint8Array;
  readonly validFrom: number;
  readonly validUntil: number;
  readonly signature: Uint8Array;
}

/** An anchor revocation of one device key pair. */
export interface Revocation {
  readonly prefix: string;
  readonly clientId: string;
  readonly encryptionKey: Uint8Array;
  readonly signingKey: Uint8Array;
  readonly revokedAt: number;
  readonly reason: string;
  readonly anchor: Uint8Array;
  readonly signature: Uint8Array;
}

/** Largest endorsement or revocation record accepted, in bytes. */
export const MAX_ANCHOR_RECORD_BYTES = 4096;

/** Generates a new anchor key pair. Keep its secret key offline. */
export function generateAnchor(provider: CryptoProvider = nobleProvider): SigningKeyPair {
  return generateSigningKeyPair(provider);
}

/** Anchor id: the signing key id of the anchor public key, 16 hex characters. */
export function anchorIdHex(anchorPublicKey: Uint8Array): string {
  return signingKeyIdHex(anchorPublicKey);
}

/** Bytes an endorsement signature covers. */
export function endorsementBytes(e: Omit<Endorsement, 'signature'>): Uint8Array {
  return new SignedBytesBuilder('mqtt-e2ee/v1 endorsement')
    .text(e.prefix)
    .text(e.clientId)
    .bytes(e.encryptionKey)
    .bytes(e.signingKey)
    .bytes(e.anchor)
    .integer(e.validFrom)
    .integer(e.validUntil)
    .build();
}

/** Bytes a revocation signature covers. */
export function revocationBytes(r: Omit<Revocation, 'signature'>): Uint8Array {
  return new SignedBytesBuilder('mqtt-e2ee/v1 revocation')
    .text(r.prefix)
    .text(r.clientId)
    .bytes(r.encryptionKey)
    .bytes(r.signingKey)
    .integer(r.revokedAt)
    .text(r.reason)
    .bytes(r.anchor)
    .build();
}

function checkPeriod(validFrom: number, validUntil: number): void {
  for (const [name, value] of [['validFrom', validFrom], ['validUntil', validUntil]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be milliseconds since the Unix epoch, got ${value}`);
    }
  }
  if (validUntil <= validFrom) throw new RangeError(`validUntil (${validUntil}) must be after validFrom (${validFrom})`);
}

/** Device public keys for endorsement and revocation: an identity, or the two public keys. */
export type DevicePublicKeys = DeviceIdentity | { readonly encryptionKey: Uint8Array; readonly signingKey: Uint8Array };

function devicePublicKeys(device: DevicePublicKeys): { encryptionKey: Uint8Array; signingKey: Uint8Array } {
  if ('encryptionKey' in device) {
    return { encryptionKey: device.encryptionKey, signingKey: device.signingKey };
  }
  if (!hasSigningKey(device as KeyPair)) throw new TypeError('device identity must have a signing key');
  return { encryptionKey: device.publicKey, signingKey: device.signing.publicKey };
}

/** Creates an anchor endorsement of a device key pair for `clientId` under `prefix`. */
export function endorseKey(
  anchor: SigningKeyPair,
  options: { prefix: string; clientId: string; device: DevicePublicKeys; validFrom: number; validUntil: number },
): Endorsement {
  const keys = devicePublicKeys(options.device);
  checkPeriod(options.validFrom, options.validUntil);
  const unsigned = {
    prefix: checkPrefix(options.prefix),
    clientId: checkName(options.clientId, 'clientId'),
    encryptionKey: decodePublicKey(encodePublicKey(keys.encryptionKey)),
    signingKey: decodeSigningPublicKey(encodeSigningPublicKey(keys.signingKey)),
    anchor: anchor.publicKey.slice(),
    validFrom: options.validFrom,
    validUntil: options.validUntil,
  };
  return { ...unsigned, signature: signBytes(anchor, endorsementBytes(unsigned)) };
}

/** Creates an anchor revocation of a device key pair. */
export function revokeKey(
  anchor: SigningKeyPair,
  options: { prefix: string; clientId: string; device: DevicePublicKeys; revokedAt: number; reason?: string },
): Revocation {
  const keys = devicePublicKeys(options.device);
  const reason = options.reason ?? '';
  if (reason.length > 200 || /\p{Cc}/u.test(reason)) {
    throw new RangeError('reason must be at most 200 characters without control characters');
  }
  checkPeriod(options.revokedAt, options.revokedAt + 1);
  const unsigned = {
    prefix: checkPrefix(options.prefix),
    clientId: checkName(options.clientId, 'clientId'),
    encryptionKey: decodePublicKey(encodePublicKey(keys.encryptionKey)),
    signingKey: decodeSigningPublicKey(encodeSigningPublicKey(keys.signingKey)),
    revokedAt: options.revokedAt,
    reason,
    anchor: anchor.publicKey.slice(),
  };
  return { ...unsigned, signature: signBytes(anchor, revocationBytes(unsigned)) };
}

/** JSON form of an endorsement, as stored in files and inside announcements. */
export function endorsementToJson(e: Endorsement): Record<string, unknown> {
  return {
    v: 1,
    kind: 'mqe2e-endorsement',
    prefix: e.prefix,
    clientId: e.clientId,
    encryptionKey: encodePublicKey(e.encryptionKey),
    signingKey: encodeSigningPublicKey(e.signingKey),
    anchor: encodeAnchorPublicKey(e.anchor),
    validFrom: e.validFrom,
    validUntil: e.validUntil,
    signature: encodeBase64Url(e.signature),
  };
}

/** JSON form of a revocation, as published on its topic. */
export function revocationToJson(r: Revocation): Record<string, unknown> {
  return {
    v: 1,
    kind: 'mqe2e-revocation',
    prefix: r.prefix,
    clientId: r.clientId,
    encryptionKey: encodePublicKey(r.encryptionKey),
    signingKey: encodeSigningPublicKey(r.signingKey),
    revokedAt: r.revokedAt,
    reason: r.reason,
    anchor: encodeAnchorPublicKey(r.anchor),
    signature: encodeBase64Url(r.signature),
  };
}

/** Encodes an endorsement as UTF-8 JSON. */
export function encodeEndorsement(e: Endorsement): Uint8Array {
  return encodeRecord(endorsementToJson(e));
}

/** Encodes a revocation as UTF-8 JSON. */
export function encodeRevocation(r: Revocation): Uint8Array {
  return encodeRecord(revocationToJson(r));
}

/** Reads an endorsement object and verifies the anchor signature. It does not check the validity period. */
export function endorsementFromJson(value: unknown): Endorsement {
  const reader = new RecordReader('endorsement', value);
  reader.literal('v', 1);
  reader.literal('kind', 'mqe2e-endorsement');
  const clientId = reader.string('clientId', /^[A-Za-z0-9._-]{1,64}$/);
  reader.clientId = clientId;
  const e: Endorsement = {
    prefix: reader.string('prefix', undefined, 200),
    clientId,
    encryptionKey: reader.key('encryptionKey', decodePublicKey),
    signingKey: reader.key('signingKey', decodeSigningPublicKey),
    anchor: reader.key('anchor', decodeAnchorPublicKey),
    validFrom: reader.integer('validFrom'),
    validUntil: reader.integer('validUntil'),
    signature: reader.bytes('signature', ED25519_SIGNATURE_LENGTH),
  };
  reader.finish();
  if (!verifyBytes(e.anchor, endorsementBytes(e), e.signature)) {
    throw new KeyRecordError(
      'endorsement',
      'signature',
      clientId,
      `Endorsement of client ${JSON.stringify(clientId)} by anchor ${anchorIdHex(e.anchor)} has an invalid signature: ` +
        'it was altered or not made by that anchor. Create it again with `mqtt-e2ee endorse`.',
    );
  }
  return e;
}

/** Parses and verifies an endorsement from UTF-8 JSON bytes. */
export function parseEndorsement(payload: Uint8Array): Endorsement {
  return endorsementFromJson(RecordReader.parse('endorsement', payload, MAX_ANCHOR_RECORD_BYTES));
}

/** Parses a revocation from UTF-8 JSON bytes and verifies its anchor signature. */
export function parseRevocation(payload: Uint8Array): Revocation {
  const reader = new RecordReader('revocation', RecordReader.parse('revocation', payload, MAX_ANCHOR_RECORD_BYTES));
  reader.literal('v', 1);
  reader.literal('kind', 'mqe2e-revocation');
  const clientId = reader.string('clientId', /^[A-Za-z0-9._-]{1,64}$/);
  reader.clientId = clientId;
  const r: Revocation = {
    prefix: reader.string('prefix', undefined, 200),
    clientId,
    encryptionKey: reader.key('encryptionKey', decodePublicKey),
    signingKey: reader.key('signingKey', decodeSigningPublicKey),
    revokedAt: reader.integer('revokedAt'),
    reason: reader.string('reason', undefined, 200),
    anchor: reader.key('anchor', decodeAnchorPublicKey),
    signature: reader.bytes('signature', ED25519_SIGNATURE_LENGTH),
  };
  reader.finish();
  if (!verifyBytes(r.anchor, revocationBytes(r), r.signature)) {
    throw new KeyRecordError(
      'revocation',
      'signature',
      clientId,
      `Revocation of key ${keyIdHex(r.encryptionKey)} of client ${JSON.stringify(clientId)} has an invalid signature: ignored.`,
    );
  }
  return r;
}
