/**
 * Builds the key exchange cases (suite "kx") from test-vectors/key-exchange-v1.json: announcement,
 * endorsement and revocation checks, and group envelope seal and open (spec/key-exchange-v1.md).
 * Besides the cases in the file, the kit derives a few negative cases by changing one field or byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KitCase } from './cases.js';

interface AnnouncementVector {
  id: string;
  topic: string;
  payload: string;
  signedBytes?: string;
  rotationSignedBytes?: string[];
  result: 'valid' | 'invalid';
  reason?: string;
}

interface RecordVector {
  topic?: string;
  anchorPublicKey?: string;
  payload: string;
  signedBytes: string;
}

interface GroupVector {
  id: string;
  prefix: string;
  groupId: string;
  sender: string;
  epochSecret: string;
  epochId: string;
  key: string;
  baseNonce: string;
  seq: string;
  topic: string;
  plaintext: string;
  nonce: string;
  aad: string;
  signerPublicKey: string | null;
  envelope: string;
}

interface KxVectorFile {
  keys: Record<string, { ed25519Seed: string; ed25519PublicKey: string }>;
  announcements: { valid: AnnouncementVector[]; invalid: AnnouncementVector[]; endorsement: RecordVector };
  revocation: RecordVector;
  groupEnvelopes: GroupVector[];
}

const SIGNATURE_FAILURE = { error: 'ERR_KEY_RECORD', reason: 'signature' };

/** Returns a level of a topic counted from the end, such as the client id of e2ee/v1/keys/alice. */
function lastSegment(topic: string, back = 0): string {
  const parts = topic.split('/');
  return parts[parts.length - 1 - back] ?? '';
}

/** Re-serializes a record payload with one field changed, so that its signature no longer covers it. */
function tampered(payload: string, field: string): string {
  const json = JSON.parse(payload) as Record<string, unknown>;
  json[field] = (json[field] as number) + 1;
  return JSON.stringify(json);
}

function announcementCases(file: KxVectorFile): KitCase[] {
  const { valid, invalid } = file.announcements;
  return [
    ...valid.map((v) => ({
      id: `kx/announcement/${v.id}`,
      op: 'kx-verify-announcement',
      input: { payload: v.payload },
      expected: { clientId: lastSegment(v.topic), signedBytes: v.signedBytes, rotationSignedBytes: v.rotationSignedBytes },
    })),
    ...invalid.map((v) => ({
      id: `kx/announcement/${v.id}`,
      op: 'kx-verify-announcement',
      input: { payload: v.payload },
      expected: { error: 'ERR_KEY_RECORD', reason: v.reason },
    })),
  ];
}

function anchorRecordCases(file: KxVectorFile): KitCase[] {
  const endorsement = file.announcements.endorsement;
  const revocation = file.revocation;
  const revocationTopic = revocation.topic ?? '';
  return [
    {
      id: 'kx/endorsement/valid',
      op: 'kx-verify-endorsement',
      input: { payload: endorsement.payload },
      expected: {
        clientId: (JSON.parse(endorsement.payload) as { clientId: string }).clientId,
        anchorPublicKey: endorsement.anchorPublicKey,
        signedBytes: endorsement.signedBytes,
      },
    },
    { id: 'kx/endorsement/valid-until-changed', op: 'kx-verify-endorsement', input: { payload: tampered(endorsement.payload, 'validUntil') }, expected: SIGNATURE_FAILURE },
    {
      id: 'kx/revocation/valid',
      op: 'kx-verify-revocation',
      input: { payload: revocation.payload },
      expected: { clientId: lastSegment(revocationTopic, 1), keyId: lastSegment(revocationTopic), signedBytes: revocation.signedBytes },
    },
    { id: 'kx/revocation/revoked-at-changed', op: 'kx-verify-revocation', input: { payload: tampered(revocation.payload, 'revokedAt') }, expected: SIGNATURE_FAILURE },
  ];
}

/** Flips the lowest bit of the byte at `index` of a hex string (negative counts from the end). */
function flipHex(hex: string, index: number): string {
  const bytes = Buffer.from(hex, 'hex');
  const at = index < 0 ? bytes.length + index : index;
  bytes[at]! ^= 0x01;
  return bytes.toString('hex');
}

function groupCases(file: KxVectorFile): KitCase[] {
  const seeds = new Map(Object.values(file.keys).map((k) => [k.ed25519PublicKey, k.ed25519Seed]));
  return file.groupEnvelopes.flatMap((v) => {
    const id = `kx/${v.id}`;
    const epoch = { prefix: v.prefix, groupId: v.groupId, sender: v.sender, epochSecret: v.epochSecret, topic: v.topic };
    const seal: Record<string, unknown> = { ...epoch, seq: v.seq, plaintext: v.plaintext };
    const open: Record<string, unknown> = { ...epoch, envelope: v.envelope };
    if (v.signerPublicKey !== null) {
      const signerSecretKey = seeds.get(v.signerPublicKey);
      if (signerSecretKey === undefined) throw new Error(`${v.id}: no key entry has ed25519PublicKey ${v.signerPublicKey}`);
      seal.signerSecretKey = signerSecretKey;
      open.signerPublicKey = v.signerPublicKey;
    }
    const cases: KitCase[] = [
      {
        id: `${id}/seal`,
        op: 'group-seal',
        input: seal,
        expected: { epochId: v.epochId, key: v.key, baseNonce: v.baseNonce, nonce: v.nonce, aad: v.aad, envelope: v.envelope },
      },
      { id: `${id}/open`, op: 'group-open', input: open, expected: { epochId: v.epochId, seq: v.seq, plaintext: v.plaintext } },
      // A changed last byte hits the signature or the tag: either way one authentication failure.
      { id: `${id}/open-last-byte-flipped`, op: 'group-open', input: { ...open, envelope: flipHex(v.envelope, -1) }, expected: { error: 'ERR_DECRYPT' } },
      { id: `${id}/open-other-topic`, op: 'group-open', input: { ...open, topic: `${v.topic}x` }, expected: { error: 'ERR_DECRYPT' } },
    ];
    if (v.signerPublicKey !== null) {
      const unsigned = { ...open };
      delete unsigned.signerPublicKey;
      cases.push({ id: `${id}/open-without-signer`, op: 'group-open', input: unsigned, expected: { error: 'ERR_ENVELOPE_FORMAT' } });
    }
    return cases;
  });
}

/** Loads the key exchange cases from `vectorDir`. */
export function kxCases(vectorDir: string): KitCase[] {
  const file = JSON.parse(readFileSync(join(vectorDir, 'key-exchange-v1.json'), 'utf8')) as KxVectorFile;
  return [...announcementCases(file), ...anchorRecordCases(file), ...groupCases(file)];
}
