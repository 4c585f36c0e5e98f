import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf, expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { hex, loadVectors, toHex, utf8 } from './helpers.js';

// Builds envelopes from the spec text with @noble primitives only, without the package's HPKE
// code, to check the vectors independently of the code that generated them.

const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const u64 = (n: bigint) => Uint8Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * (7 - i))) & 0xffn));

const KEM = cat(utf8('KEM'), u16(0x0020));
const HPKE = cat(utf8('HPKE'), u16(0x0020), u16(0x0001), u16(0x0003));
const labeledExtract = (suite: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array) =>
  extract(sha256, cat(utf8('HPKE-v1'), suite, utf8(label), ikm), salt);
const labeledExpand = (suite: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number) =>
  expand(sha256, prk, cat(u16(length), utf8('HPKE-v1'), suite, utf8(label), info), length);

/** Envelope per spec/envelope-v1.md sections "Keys and key ids" to "Padding". */
function specEnvelope(skS: Uint8Array, pkR: Uint8Array, ikmE: Uint8Array, seq: bigint, topic: string, message: Uint8Array, bucket?: number) {
  const keyId = (pk: Uint8Array) => sha256(cat(utf8('mqtt-e2ee key id v1'), pk)).slice(0, 8);
  const skE = labeledExpand(KEM, labeledExtract(KEM, new Uint8Array(0), 'dkp_prk', ikmE), 'sk', new Uint8Array(0), 32);
  const enc = x25519.getPublicKey(skE);
  const pkS = x25519.getPublicKey(skS);
  const dh = cat(x25519.getSharedSecret(skE, pkR), x25519.getSharedSecret(skS, pkR));
  const sharedSecret = labeledExpand(KEM, labeledExtract(KEM, new Uint8Array(0), 'eae_prk', dh), 'shared_secret', cat(enc, pkR, pkS), 32);
  const info = utf8('mqtt-e2ee/v1 direct');
  const empty = new Uint8Array(0);
  const context = cat(Uint8Array.of(0x02), labeledExtract(HPKE, empty, 'psk_id_hash', empty), labeledExtract(HPKE, empty, 'info_hash', info));
  const secret = labeledExtract(HPKE, sharedSecret, 'secret', empty);
  const key = labeledExpand(HPKE, secret, 'key', context, 32);
  const baseNonce = labeledExpand(HPKE, secret, 'base_nonce', context, 12);
  const nonce = baseNonce.map((b, i) => b ^ (i < 4 ? 0 : u64(seq)[i - 4]!));
  const flags = bucket === undefined ? 0x00 : 0x01;
  const header = cat(Uint8Array.of(0x01, 0x01, 0x01, flags), keyId(pkS), keyId(pkR), enc, u64(seq));
  const topicBytes = utf8(topic);
  const aad = cat(header, u16(topicBytes.length), topicBytes);
  const body = bucket === undefined ? message : cat(message, Uint8Array.of(0x80), new Uint8Array(bucket - message.length - 1));
  return cat(header, chacha20poly1305(key, nonce, aad).encrypt(body));
}

interface SealCase {
  id: string;
  input: { senderSecretKey: string; recipientPublicKey: string; ikmE: string; seq: string; topic: string; plaintext: string };
  expected: { envelope: string };
}
const cases = loadVectors<{ cases: SealCase[] }>('envelope-v1.json').cases;
const find = (id: string) => cases.find((c) => c.id === id)!;

describe('spec construction', () => {
  it.each(['seal/basic', 'seal/empty-plaintext', 'seal/seq-18446744073709551615', 'seal/topic-utf8', 'seal/rotated-recipient'])(
    'rebuilds %s',
    (id) => {
      const { input, expected } = find(id);
      const built = specEnvelope(hex(input.senderSecretKey), hex(input.recipientPublicKey), hex(input.ikmE), BigInt(input.seq), input.topic, hex(input.plaintext));
      expect(toHex(built)).toBe(expected.envelope);
    },
  );

  it('rebuilds padded vectors', () => {
    for (const [id, bucket] of [['seal/padding-custom-15', 16], ['seal/padding-buckets-fill-64', 64], ['seal/padding-custom-64', 96]] as const) {
      const { input, expected } = find(id);
      const built = specEnvelope(hex(input.senderSecretKey), hex(input.recipientPublicKey), hex(input.ikmE), BigInt(input.seq), input.topic, hex(input.plaintext), bucket);
      expect(toHex(built), id).toBe(expected.envelope);
    }
  });

  it('uses noble hkdf consistently', () => {
    // Guards the helper above: extract and expand combine to the one-shot hkdf.
    const ikm = utf8('input');
    expect(toHex(expand(sha256, extract(sha256, ikm, utf8('salt')), utf8('info'), 42))).toBe(toHex(hkdf(sha256, ikm, utf8('salt'), utf8('info'), 42)));
  });
});
