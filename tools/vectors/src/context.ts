/** Fixed parties and deterministic inputs shared by the case builders. */
import { deriveKeyPair, keyIdHex, nobleProvider, type KeyPair } from '@mqtt-e2ee/envelope';
import type { NamedKey, SealInput, SealOutput } from './format.js';
import { toHex } from './hex.js';
import { runSeal } from './run.js';

const encoder = new TextEncoder();

/** SHA-256 of a UTF-8 label: the seed of every key and ephemeral input in the file. */
function seed(label: string): Uint8Array {
  return nobleProvider.sha256(encoder.encode(`mqtt-e2ee/v1 vectors ${label}`));
}

/** Parties of the vectors, each derived with RFC 9180 DeriveKeyPair from a fixed seed. */
export const parties = {
  alice: deriveKeyPair(seed('key alice')),
  bob: deriveKeyPair(seed('key bob')),
  bobNext: deriveKeyPair(seed('key bob-next')),
  carol: deriveKeyPair(seed('key carol')),
  dave: deriveKeyPair(seed('key dave')),
  mallory: deriveKeyPair(seed('key mallory')),
} satisfies Record<string, KeyPair>;

export type PartyName = keyof typeof parties;

export function describeKeys(): Record<string, NamedKey> {
  return Object.fromEntries(
    Object.entries(parties).map(([name, pair]) => [
      name,
      { secretKey: toHex(pair.secretKey), publicKey: toHex(pair.publicKey), keyId: keyIdHex(pair.publicKey) },
    ]),
  );
}

export const pk = (name: PartyName): string => toHex(parties[name].publicKey);
export const sk = (name: PartyName): string => toHex(parties[name].secretKey);

/** Ephemeral input keying material of one session, named by `label`. */
export const ikm = (label: string): string => toHex(seed(`ikmE ${label}`));

/** `length` deterministic bytes as hex: SHA-256 of label and a counter, concatenated. */
export function bytesHex(length: number, label: string): string {
  let out = '';
  for (let block = 0; out.length < 2 * length; block++) out += toHex(seed(`bytes ${label} ${block}`));
  return out.slice(0, 2 * length);
}

/** Seals through runSeal and raises if the inputs were meant to succeed but failed. */
export function sealOk(input: SealInput): SealOutput {
  const out = runSeal(input);
  if ('error' in out) throw new Error(`vector seal failed with ${out.error}: ${JSON.stringify(input).slice(0, 200)}`);
  return out;
}

/** Returns a copy of an envelope hex string with the bytes at `offset` replaced. */
export function patch(envelopeHex: string, offset: number, replacementHex: string): string {
  return envelopeHex.slice(0, 2 * offset) + replacementHex + envelopeHex.slice(2 * offset + replacementHex.length);
}

/** Returns a copy with byte `offset` XORed with `mask`. */
export function flip(envelopeHex: string, offset: number, mask: number): string {
  const byte = parseInt(envelopeHex.slice(2 * offset, 2 * offset + 2), 16) ^ mask;
  return patch(envelopeHex, offset, byte.toString(16).padStart(2, '0'));
}

/** Canonical X25519 u-coordinates of low order (RFC 7748 section 6.1 requires rejecting their all-zero output). */
export const LOW_ORDER_POINTS: Record<string, string> = {
  'u=0': '00'.repeat(32),
  'u=1': '01' + '00'.repeat(31),
  'order-8-a': 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  'order-8-b': '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'u=p-1': 'ec' + 'ff'.repeat(30) + '7f',
};

/** Encodings that are not canonical: integers of p = 2^255 - 19 and above, or with bit 255 set. */
export function nonCanonicalPoints(validKeyHex: string): Record<string, string> {
  const last = parseInt(validKeyHex.slice(62), 16) | 0x80;
  return {
    'u=p': 'ed' + 'ff'.repeat(30) + '7f',
    'u=p+1': 'ee' + 'ff'.repeat(30) + '7f',
    'u=2^255-1': 'ff'.repeat(31) + '7f',
    'valid-key-with-bit-255': validKeyHex.slice(0, 62) + last.toString(16),
    'u=2^256-1': 'ff'.repeat(32),
  };
}
