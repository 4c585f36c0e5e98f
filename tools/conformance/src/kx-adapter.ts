/**
 * Key exchange ops of the project's adapter (spec/conformance.md section 3.1), built on the
 * public API of @mqtt-e2ee/key-exchange.
 *
 * With `labelFault` set, the signed bytes it reports carry the context label with its last byte
 * changed, as an implementation with a misspelled label would sign and verify. It exists only to
 * prove that the kit catches such a mistake.
 */
import type { CryptoProvider } from '@mqtt-e2ee/envelope';
import {
  announcementBytes,
  deriveEpochKeys,
  endorsementBytes,
  groupAad,
  groupNonce,
  keyIdHex,
  KeyRecordError,
  openGroup,
  parseAnnouncement,
  parseEndorsement,
  parseGroupHeader,
  parseRevocation,
  revocationBytes,
  rotationBytes,
  sealGroup,
  signingKeyPairFromSecretKey,
} from '@mqtt-e2ee/key-exchange';
import { errorCode, fromHex, parseSeq, toHex } from '@mqtt-e2ee/vectors';

export const KX_OPS = ['kx-verify-announcement', 'kx-verify-endorsement', 'kx-verify-revocation', 'group-seal', 'group-open'] as const;
export type KxOp = (typeof KX_OPS)[number];

type Json = Record<string, unknown>;

const encoder = new TextEncoder();

/** Changes the last label byte: signed bytes start with field(label), a 2-byte length and the label (spec/key-exchange-v1.md section 1). */
function flipLabel(bytes: Uint8Array): Uint8Array {
  const labelLength = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
  const copy = bytes.slice();
  copy[1 + labelLength]! ^= 0x01;
  return copy;
}

function text(input: Json, field: string): string {
  const value = input[field];
  if (typeof value !== 'string') throw new TypeError(`${field} must be a string, got ${typeof value}`);
  return value;
}

function verifyAnnouncement(input: Json, report: (bytes: Uint8Array) => string): Json {
  const a = parseAnnouncement(encoder.encode(text(input, 'payload')));
  const rotationSignedBytes = a.rotations.map((link, index) => {
    const next = a.rotations[index + 1] ?? a;
    return report(rotationBytes(a.prefix, a.clientId, link, next, link.retiredAt));
  });
  return { clientId: a.clientId, signedBytes: report(announcementBytes(a)), rotationSignedBytes };
}

function epochOf(input: Json) {
  return deriveEpochKeys(fromHex(text(input, 'epochSecret')), text(input, 'prefix'), text(input, 'groupId'), text(input, 'sender'));
}

function groupSeal(input: Json, provider: CryptoProvider): Json {
  const keys = epochOf(input);
  const seq = parseSeq(text(input, 'seq'));
  const topic = text(input, 'topic');
  const signer = input.signerSecretKey === undefined ? undefined : signingKeyPairFromSecretKey(fromHex(text(input, 'signerSecretKey')));
  const envelope = sealGroup(provider, keys, seq, topic, fromHex(text(input, 'plaintext')), signer);
  return {
    epochId: toHex(keys.epochId),
    key: toHex(keys.key),
    baseNonce: toHex(keys.baseNonce),
    nonce: toHex(groupNonce(keys.baseNonce, seq)),
    aad: toHex(groupAad(envelope, topic)),
    envelope: toHex(envelope),
  };
}

function groupOpen(input: Json, provider: CryptoProvider): Json {
  const envelope = fromHex(text(input, 'envelope'));
  const header = parseGroupHeader(envelope);
  const signer = input.signerPublicKey === undefined ? undefined : fromHex(text(input, 'signerPublicKey'));
  const plaintext = openGroup(provider, epochOf(input), header, text(input, 'topic'), envelope, signer);
  return { epochId: toHex(header.epochId), seq: header.seq.toString(), plaintext: toHex(plaintext) };
}

/** Runs one key exchange op. Errors become {"error": code}, plus "reason" for a rejected record. */
export function runKx(op: KxOp, input: Json, provider: CryptoProvider, labelFault: boolean): Json {
  const report = (bytes: Uint8Array) => toHex(labelFault ? flipLabel(bytes) : bytes);
  try {
    switch (op) {
      case 'kx-verify-announcement':
        return verifyAnnouncement(input, report);
      case 'kx-verify-endorsement': {
        const e = parseEndorsement(encoder.encode(text(input, 'payload')));
        return { clientId: e.clientId, anchorPublicKey: toHex(e.anchor), signedBytes: report(endorsementBytes(e)) };
      }
      case 'kx-verify-revocation': {
        const r = parseRevocation(encoder.encode(text(input, 'payload')));
        return { clientId: r.clientId, keyId: keyIdHex(r.encryptionKey), signedBytes: report(revocationBytes(r)) };
      }
      case 'group-seal':
        return groupSeal(input, provider);
      case 'group-open':
        return groupOpen(input, provider);
    }
  } catch (error) {
    if (error instanceof KeyRecordError) return { error: error.code, reason: error.reason };
    return { error: errorCode(error) };
  }
}
