import { checkInteger, concat, i2osp, utf8 } from './bytes.js';
import type { CryptoProvider } from './provider.js';

/** SHA-256 output length in bytes (Nh in RFC 9180 section 7.2). */
export const HASH_LENGTH = 32;

const HPKE_VERSION_LABEL = utf8('HPKE-v1');
const EMPTY = new Uint8Array(0);

/** Computes HKDF-Extract (RFC 5869 section 2.2). An empty salt is replaced by Nh zero bytes. */
export function hkdfExtract(provider: CryptoProvider, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  const key = salt.length === 0 ? new Uint8Array(HASH_LENGTH) : salt;
  return provider.hmacSha256(key, ikm);
}

/** Computes HKDF-Expand (RFC 5869 section 2.3), at most 255 * Nh output bytes. */
export function hkdfExpand(
  provider: CryptoProvider,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  checkInteger(length, 'HKDF-Expand length', 0, 255 * HASH_LENGTH);
  const out = new Uint8Array(length);
  let block: Uint8Array = EMPTY;
  for (let counter = 1, offset = 0; offset < length; counter++) {
    // T(i) = HMAC-Hash(PRK, T(i-1) || info || i), with T(0) empty.
    block = provider.hmacSha256(prk, concat(block, info, Uint8Array.of(counter)));
    out.set(block.subarray(0, Math.min(block.length, length - offset)), offset);
    offset += block.length;
  }
  return out;
}

/** LabeledExtract (RFC 9180 section 4): Extract(salt, "HPKE-v1" || suite_id || label || ikm). */
export function labeledExtract(
  provider: CryptoProvider,
  suiteId: Uint8Array,
  salt: Uint8Array,
  label: string,
  ikm: Uint8Array,
): Uint8Array {
  const labeledIkm = concat(HPKE_VERSION_LABEL, suiteId, utf8(label), ikm);
  return hkdfExtract(provider, salt, labeledIkm);
}

/**
 * LabeledExpand (RFC 9180 section 4):
 * Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L).
 */
export function labeledExpand(
  provider: CryptoProvider,
  suiteId: Uint8Array,
  prk: Uint8Array,
  label: string,
  info: Uint8Array,
  length: number,
): Uint8Array {
  checkInteger(length, 'LabeledExpand length', 0, 0xffff);
  const labeledInfo = concat(i2osp(length, 2), HPKE_VERSION_LABEL, suiteId, utf8(label), info);
  return hkdfExpand(provider, prk, labeledInfo, length);
}
