/**
 * Deterministic test vectors of key exchange v1 (spec/key-exchange-v1.md): key texts,
 * announcements (plain, rotated, endorsed, and invalid variants), endorsements, revocations and
 * group envelopes. Every key and secret comes from SHA-256 of a fixed label, Ed25519 signatures
 * are deterministic (RFC 8032), and timestamps are fixed, so a run always yields the same file.
 */
import { keyIdHex, keyPairFromSecretKey, nobleProvider } from '@mqtt-e2ee/envelope';
import {
  announcementBytes,
  announcementToJson,
  createAnnouncement,
  createRotationLink,
  deriveEpochKeys,
  encodeAnchorPublicKey,
  encodeAnchorSecretKey,
  encodeAnnouncement,
  encodeEndorsement,
  encodePublicKey,
  encodeRevocation,
  encodeSecretKey,
  encodeSigningPublicKey,
  encodeSigningSecretKey,
  endorseKey,
  endorsementBytes,
  groupAad,
  groupNonce,
  revocationBytes,
  revokeKey,
  rotationBytes,
  sealGroup,
  signingKeyFingerprint,
  signingKeyPairFromSecretKey,
  type Announcement,
  type DeviceIdentity,
  type KeyRecordReason,
  type SigningKeyPair,
} from '@mqtt-e2ee/key-exchange';

const encoder = new TextEncoder();
const PREFIX = 'e2ee/v1';
/** 2027-01-15T08:00:00Z, the fixed "now" of every record. */
export const VECTOR_NOW = 1_800_000_000_000;
const DAY = 86_400_000;

function seed(label: string): Uint8Array {
  return nobleProvider.sha256(encoder.encode(`mqtt-e2ee/v1 kx vectors ${label}`));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function device(label: string): DeviceIdentity {
  return { ...keyPairFromSecretKey(seed(`${label} x25519`)), signing: signingKeyPairFromSecretKey(seed(`${label} ed25519`)) };
}

const anchor: SigningKeyPair = signingKeyPairFromSecretKey(seed('anchor'));
const parties = { alice: device('alice'), alice2: device('alice-2'), alice3: device('alice-3'), bob: device('bob'), mallory: device('mallory') };

function keyEntry(identity: DeviceIdentity) {
  return {
    x25519SecretKey: toHex(identity.secretKey),
    x25519PublicKey: toHex(identity.publicKey),
    ed25519Seed: toHex(identity.signing.secretKey),
    ed25519PublicKey: toHex(identity.signing.publicKey),
    secretKeyText: encodeSecretKey(identity.secretKey),
    publicKeyText: encodePublicKey(identity.publicKey),
    signingSecretKeyText: encodeSigningSecretKey(identity.signing.secretKey),
    signingPublicKeyText: encodeSigningPublicKey(identity.signing.publicKey),
    keyId: keyIdHex(identity.publicKey),
    signingFingerprint: signingKeyFingerprint(identity.signing.publicKey),
  };
}

function announcementCase(id: string, description: string, a: Announcement) {
  return {
    id,
    description,
    topic: `${PREFIX}/keys/${a.clientId}`,
    payload: new TextDecoder().decode(encodeAnnouncement(a)),
    signedBytes: toHex(announcementBytes(a)),
    rotationSignedBytes: a.rotations.map((link, index) => {
      const next = a.rotations[index + 1] ?? { encryptionKey: a.encryptionKey, signingKey: a.signingKey };
      return toHex(rotationBytes(a.prefix, a.clientId, link, next, link.retiredAt));
    }),
    result: 'valid' as const,
  };
}

function invalidCase(id: string, description: string, base: Announcement, change: (json: Record<string, unknown>) => void, reason: KeyRecordReason) {
  const json = announcementToJson(base);
  change(json);
  return { id, description, topic: `${PREFIX}/keys/${base.clientId}`, payload: JSON.stringify(json), result: 'invalid' as const, reason };
}

function announcements() {
  const from = VECTOR_NOW;
  const until = VECTOR_NOW + 7 * DAY;
  const plain = createAnnouncement({ identity: parties.alice, prefix: PREFIX, clientId: 'alice', seq: from, validFrom: from, validUntil: until });
  const link1 = createRotationLink(PREFIX, 'alice', parties.alice, parties.alice2, from + 1000);
  const link2 = createRotationLink(PREFIX, 'alice', parties.alice2, parties.alice3, from + 1000);
  const rotated = createAnnouncement({ identity: parties.alice3, prefix: PREFIX, clientId: 'alice', seq: from + 2, validFrom: from + 1000, validUntil: until, rotations: [link1, link2] });
  const endorsement = endorseKey(anchor, { prefix: PREFIX, clientId: 'bob', device: parties.bob, validFrom: from - DAY, validUntil: from + 365 * DAY });
  const endorsed = createAnnouncement({ identity: parties.bob, prefix: PREFIX, clientId: 'bob', seq: from, validFrom: from, validUntil: until, endorsements: [endorsement] });
  const forged = createAnnouncement({ identity: parties.mallory, prefix: PREFIX, clientId: 'bob', seq: from + 5, validFrom: from, validUntil: until });
  return {
    valid: [
      announcementCase('announcement-plain', 'Self-signed announcement of alice, no rotation links or endorsements.', plain),
      announcementCase('announcement-two-rotations', 'alice rotated twice within one second: two links chain alice -> alice2 -> alice3.', rotated),
      announcementCase('announcement-endorsed', 'bob with an anchor endorsement of its key pair.', endorsed),
      {
        ...announcementCase('announcement-forged-unendorsed', 'Well signed by mallory for client id bob but not endorsed: valid structure, rejected by the anchor policy and by a tofu pin on bob.', forged),
        policyResult: { anchor: 'endorsement', tofuPinnedBob: 'ERR_KEY_CHANGED', insecure: 'accepted' },
      },
    ],
    invalid: [
      invalidCase('announcement-seq-changed', 'seq changed after signing.', plain, (j) => (j['seq'] = (j['seq'] as number) + 1), 'signature'),
      invalidCase('announcement-client-swapped', 'clientId changed after signing.', plain, (j) => (j['clientId'] = 'bob'), 'signature'),
      invalidCase('announcement-prefix-swapped', 'prefix changed after signing.', plain, (j) => (j['prefix'] = 'other/v1'), 'signature'),
      invalidCase('announcement-unknown-field', 'An extra field that the signature does not cover.', plain, (j) => (j['note'] = 'x'), 'malformed'),
      invalidCase('announcement-link-dropped', 'First rotation link removed: the self-signature covers the link signatures.', rotated, (j) => (j['rotations'] as unknown[]).shift(), 'signature'),
      invalidCase(
        'announcement-link-retired-changed',
        'retiredAt of a link changed: the link signature no longer verifies.',
        rotated,
        (j) => ((j['rotations'] as Record<string, unknown>[])[0]!['retiredAt'] = VECTOR_NOW + 999),
        'rotation',
      ),
    ],
    endorsement: {
      anchorPublicKey: toHex(anchor.publicKey),
      payload: new TextDecoder().decode(encodeEndorsement(endorsement)),
      signedBytes: toHex(endorsementBytes(endorsement)),
    },
  };
}

function revocation() {
  const r = revokeKey(anchor, { prefix: PREFIX, clientId: 'bob', device: parties.bob, revokedAt: VECTOR_NOW + DAY, reason: 'device lost' });
  return {
    topic: `${PREFIX}/revocations/bob/${keyIdHex(parties.bob.publicKey)}`,
    payload: new TextDecoder().decode(encodeRevocation(r)),
    signedBytes: toHex(revocationBytes(r)),
  };
}

function groupCase(id: string, description: string, seq: bigint, topic: string, plaintext: string, signer?: SigningKeyPair) {
  const secret = seed('group epoch secret');
  const keys = deriveEpochKeys(secret, PREFIX, 'plant', 'alice');
  const envelope = sealGroup(nobleProvider, keys, seq, topic, encoder.encode(plaintext), signer);
  return {
    id,
    description,
    prefix: PREFIX,
    groupId: 'plant',
    sender: 'alice',
    epochSecret: toHex(secret),
    epochId: toHex(keys.epochId),
    key: toHex(keys.key),
    baseNonce: toHex(keys.baseNonce),
    seq: seq.toString(),
    topic,
    plaintext: toHex(encoder.encode(plaintext)),
    nonce: toHex(groupNonce(keys.baseNonce, seq)),
    aad: toHex(groupAad(envelope, topic)),
    signerPublicKey: signer === undefined ? null : toHex(signer.publicKey),
    envelope: toHex(envelope),
  };
}

/** Builds the whole vector file. */
export function generateKxVectors() {
  return {
    description: 'mqtt-e2ee key exchange v1 test vectors, generated by tools/kx-vectors from fixed seeds. Byte strings are lowercase hex; payloads are the exact UTF-8 JSON texts.',
    spec: 'spec/key-exchange-v1.md',
    now: VECTOR_NOW,
    prefix: PREFIX,
    keys: {
      anchor: {
        ed25519Seed: toHex(anchor.secretKey),
        ed25519PublicKey: toHex(anchor.publicKey),
        secretKeyText: encodeAnchorSecretKey(anchor.secretKey),
        publicKeyText: encodeAnchorPublicKey(anchor.publicKey),
        fingerprint: signingKeyFingerprint(anchor.publicKey),
      },
      ...Object.fromEntries(Object.entries(parties).map(([name, identity]) => [name, keyEntry(identity)])),
    },
    announcements: announcements(),
    revocation: revocation(),
    groupEnvelopes: [
      groupCase('group-plain', 'Group message without signature: 36 bytes of overhead.', 0n, 'plant/line1/temp', '21.5'),
      groupCase('group-high-seq', 'Large seq, to check the nonce XOR over 8 bytes.', 0x0102030405060708n, 'plant/line1/temp', 'seq'),
      groupCase('group-signed', 'Group message with an Ed25519 signature by the sender (flag 0x01).', 1n, 'plant/line1/temp', 'signed', parties.alice.signing),
      groupCase('group-empty', 'Empty plaintext.', 2n, 'plant/x', ''),
    ],
  };
}

export type KxVectorFile = ReturnType<typeof generateKxVectors>;

/** Serializes with two-space indentation and a final newline. */
export function serializeKxVectors(file: KxVectorFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
