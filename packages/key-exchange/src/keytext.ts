/**
 * Key text format. A public key line is "mqe2e-pk1-" followed by base64url without padding of
 * publicKey (32 bytes) || checksum (4 bytes), where checksum is the first 4 bytes of
 * SHA-256("mqe2e-pk1-" || publicKey). Secret keys use the prefix "mqe2e-sk1-" and the same scheme.
 * Decoding is strict: exactly one text is accepted for each key.
 */
import { X25519_KEY_LENGTH } from '@mqtt-e2ee/envelope';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { decodeBase64Url, encodeBase64Url, findBase64UrlProblem } from './base64url.js';
import { KeyFormatError, type KeyKind } from './errors.js';

/** Prefix of a public key text, format version 1. */
export const PUBLIC_KEY_PREFIX = 'mqe2e-pk1-';
/** Prefix of a secret key text, format version 1. */
export const SECRET_KEY_PREFIX = 'mqe2e-sk1-';
/** Prefix of an Ed25519 signing public key text of a device, format version 1. */
export const SIGNING_PUBLIC_KEY_PREFIX = 'mqe2e-sp1-';
/** Prefix of an Ed25519 signing secret key (seed) text of a device, format version 1. */
export const SIGNING_SECRET_KEY_PREFIX = 'mqe2e-ss1-';
/** Prefix of an organisation trust anchor public key text (Ed25519), format version 1. */
export const ANCHOR_PUBLIC_KEY_PREFIX = 'mqe2e-ap1-';
/** Prefix of an organisation trust anchor secret key (seed) text, format version 1. */
export const ANCHOR_SECRET_KEY_PREFIX = 'mqe2e-as1-';
/** Length of the checksum that follows the key inside the encoded text, in bytes. */
export const KEY_CHECKSUM_LENGTH = 4;
/** Length of a whole key text: the 10-character prefix and 48 base64url characters for 36 bytes. */
export const KEY_TEXT_LENGTH = 58;

/** A public key as key text ("mqe2e-pk1-…") or as the 32 raw bytes. */
export type PublicKeyInput = string | Uint8Array;

const BODY_LENGTH = KEY_TEXT_LENGTH - PUBLIC_KEY_PREFIX.length;
const FIELD_PRIME = 2n ** 255n - 19n;
// The u-coordinates of the points of order 1, 2, 4 and 8 on Curve25519 and its twist, reduced
// mod p. X25519 with any clamped scalar maps exactly these to the all-zero output (RFC 7748
// section 5 clamps to a multiple of the cofactor 8), so a table lookup rejects what a probe
// multiplication would, without its cost.
const SMALL_ORDER_U = new Set<bigint>([
  0n,
  1n,
  FIELD_PRIME - 1n,
  0x00b8495f16056286fdb1329ceb8d09da6ac49ff1fae35616aeb8413b7c7aebe0n,
  0x57119fd0dd4e22d8868e1c58c45c44045bef839c55b1d0b1248c50a3bc959c5fn,
]);
const U_MASK = 2n ** 255n - 1n;

const PREFIXES: Record<KeyKind, string> = {
  public: PUBLIC_KEY_PREFIX,
  secret: SECRET_KEY_PREFIX,
  'signing-public': SIGNING_PUBLIC_KEY_PREFIX,
  'signing-secret': SIGNING_SECRET_KEY_PREFIX,
  'anchor-public': ANCHOR_PUBLIC_KEY_PREFIX,
  'anchor-secret': ANCHOR_SECRET_KEY_PREFIX,
};

const LABELS: Record<KeyKind, string> = {
  public: 'Public key text',
  secret: 'Secret key text',
  'signing-public': 'Signing public key text',
  'signing-secret': 'Signing secret key text',
  'anchor-public': 'Anchor public key text',
  'anchor-secret': 'Anchor secret key text',
};

/** Returns whether texts of this kind must never appear in messages. */
export function isSecretKind(kind: KeyKind): boolean {
  return kind === 'secret' || kind.endsWith('-secret');
}

function keyChecksum(prefix: string, key: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8ToBytes(prefix), key)).subarray(0, KEY_CHECKSUM_LENGTH);
}

/** Compares without an early exit, so the time taken does not depend on where the bytes differ. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) {
    difference |= (a[index] ?? 0) ^ (b[index] ?? 0);
  }
  return difference === 0;
}

/** Encodes 32 key bytes as key text of `kind`, without checking the key itself. */
export function encodeKeyText(kind: KeyKind, key: Uint8Array): string {
  const prefix = PREFIXES[kind];
  return prefix + encodeBase64Url(concatBytes(key, keyChecksum(prefix, key)));
}

function label(kind: KeyKind): string {
  return LABELS[kind];
}

/** Describes a character for an error message. Characters of secret key texts are never shown. */
function showCharacter(kind: KeyKind, character: string): string {
  return isSecretKind(kind) ? '' : ` ${JSON.stringify(character)}`;
}

/** Checks the prefix, with specific messages for the other key kind, another version and wrong case. */
function checkPrefix(kind: KeyKind, text: string): void {
  const prefix = PREFIXES[kind];
  if (text.startsWith(prefix)) return;
  if (kind === 'public' && text.startsWith(SECRET_KEY_PREFIX)) {
    throw new KeyFormatError(
      kind,
      'prefix',
      'Expected a public key (mqe2e-pk1-…) but got a secret key (mqe2e-sk1-…). Never share a secret key: ' +
        "pass the public key from the identity's .pub file instead.",
    );
  }
  if (kind === 'secret' && text.startsWith(PUBLIC_KEY_PREFIX)) {
    throw new KeyFormatError(
      kind,
      'prefix',
      'Expected a secret key (mqe2e-sk1-…) but got a public key (mqe2e-pk1-…): read the .key file, not the .pub file.',
    );
  }
  const other = (Object.keys(PREFIXES) as KeyKind[]).find((candidate) => text.startsWith(PREFIXES[candidate]));
  if (other !== undefined) {
    throw new KeyFormatError(
      kind,
      'prefix',
      `Expected ${label(kind).toLowerCase().replace(/ text$/, '')} (${prefix}…) but got ` +
        `${label(other).toLowerCase().replace(/ text$/, '')} (${PREFIXES[other]}…): pass the right key file.`,
    );
  }
  const family = prefix.slice(0, 'mqe2e-pk'.length);
  if (text.startsWith(family)) {
    throw new KeyFormatError(
      kind,
      'prefix',
      `${label(kind)} has an unsupported format version: expected the prefix ${prefix}. ` +
        'Upgrade mqtt-e2ee or re-export the key.',
    );
  }
  if (text.slice(0, prefix.length).toLowerCase() === prefix) {
    throw new KeyFormatError(kind, 'prefix', `${label(kind)} prefix must be lowercase ${prefix}.`);
  }
  throw new KeyFormatError(
    kind,
    'prefix',
    `${label(kind)} must start with ${prefix}. Check that the whole key was copied.`,
  );
}

/** Checks the characters and length of the base64url part that follows the prefix. */
function checkBody(kind: KeyKind, body: string, offset: number): void {
  const padding = body.indexOf('=');
  if (padding >= 0) {
    throw new KeyFormatError(
      kind,
      'padding',
      `${label(kind)} contains '=' padding at index ${offset + padding}: remove the trailing '=' characters.`,
    );
  }
  const problem = findBase64UrlProblem(body);
  if (problem?.kind === 'alphabet') {
    const character = body.charAt(problem.index);
    const hint =
      character === '+' || character === '/'
        ? " Standard base64 '+' and '/' are not used: base64url uses '-' and '_'."
        : '';
    const position = offset + problem.index;
    throw new KeyFormatError(
      kind,
      'alphabet',
      `${label(kind)} has an invalid character${showCharacter(kind, character)} at index ${position}: ` +
        `only A-Z, a-z, 0-9, '-' and '_' may follow the prefix.${hint}`,
    );
  }
  if (body.length !== BODY_LENGTH) {
    throw new KeyFormatError(
      kind,
      'length',
      `${label(kind)} must be ${KEY_TEXT_LENGTH} characters long, got ${offset + body.length}: ` +
        'check that the key was copied completely.',
    );
  }
  if (problem !== undefined) {
    throw new KeyFormatError(
      kind,
      'non-canonical-base64',
      `${label(kind)} is not canonical base64url: copy the key again from its original file.`,
    );
  }
}

/** Decodes key text of `kind` strictly and returns the 32 key bytes, without checking the key itself. */
export function decodeKeyText(kind: KeyKind, text: unknown): Uint8Array {
  if (typeof text !== 'string') {
    throw new TypeError(`${label(kind)} must be a string, got ${text === null ? 'null' : typeof text}`);
  }
  if (/\s/u.test(text)) {
    throw new KeyFormatError(
      kind,
      'whitespace',
      `${label(kind)} contains whitespace or a line break: remove it, a key is a single word.`,
    );
  }
  checkPrefix(kind, text);
  const prefix = PREFIXES[kind];
  checkBody(kind, text.slice(prefix.length), prefix.length);
  const payload = decodeBase64Url(text.slice(prefix.length));
  const key = payload.slice(0, X25519_KEY_LENGTH);
  if (!constantTimeEqual(payload.subarray(X25519_KEY_LENGTH), keyChecksum(prefix, key))) {
    throw new KeyFormatError(
      kind,
      'checksum',
      `${label(kind)} checksum does not match: the key was mistyped or altered. ` +
        'Copy it again from its original file.',
    );
  }
  // Every 48-character body over the alphabet is canonical, so this check matters only if the layout changes.
  if (encodeKeyText(kind, key) !== text) {
    throw new KeyFormatError(
      kind,
      'non-canonical-base64',
      `${label(kind)} is not in canonical form: copy the key again from its original file.`,
    );
  }
  return key;
}

/**
 * Checks that raw bytes are a usable X25519 public key: 32 bytes, not of low order (RFC 7748
 * section 6.1, RFC 9180 section 7.1.4), and canonically encoded (top bit clear, u < 2^255 - 19,
 * as every X25519 public key computed from a secret key is). Returns a copy.
 */
export function checkPublicKey(publicKey: unknown): Uint8Array {
  if (!(publicKey instanceof Uint8Array)) {
    throw new TypeError(
      `Public key must be a Uint8Array or key text, got ${publicKey === null ? 'null' : typeof publicKey}`,
    );
  }
  if (publicKey.length !== X25519_KEY_LENGTH) {
    throw new KeyFormatError(
      'public',
      'length',
      `Public key must be ${X25519_KEY_LENGTH} bytes long, got ${publicKey.length} bytes.`,
    );
  }
  let value = 0n;
  for (let index = X25519_KEY_LENGTH - 1; index >= 0; index--) {
    value = (value << 8n) | BigInt(publicKey[index] ?? 0);
  }
  // X25519 ignores the top bit and reduces u mod p (RFC 7748 section 5), so the table is
  // checked on that value: aliases of small-order points are reported as low-order too.
  if (SMALL_ORDER_U.has((value & U_MASK) % FIELD_PRIME)) {
    throw new KeyFormatError(
      'public',
      'low-order',
      'Public key is a low-order X25519 point, so every shared secret with it is all zero: ' +
        'it cannot come from a real key pair. Ask the peer for its real public key.',
    );
  }
  if (value >= FIELD_PRIME) {
    throw new KeyFormatError(
      'public',
      'non-canonical-key',
      'Public key is not canonically encoded (top bit set or u-coordinate >= 2^255 - 19): ' +
        'X25519 never outputs such a key. Ask the peer for its real public key.',
    );
  }
  return publicKey.slice();
}

/** Encodes a public key as key text, after checkPublicKey. */
export function encodePublicKey(publicKey: Uint8Array): string {
  return encodeKeyText('public', checkPublicKey(publicKey));
}

/** Decodes a public key text strictly. Throws KeyFormatError naming the problem. */
export function decodePublicKey(text: string): Uint8Array {
  return checkPublicKey(decodeKeyText('public', text));
}

/** Encodes a 32-byte X25519 secret key as key text. Keep the result secret. */
export function encodeSecretKey(secretKey: Uint8Array): string {
  if (!(secretKey instanceof Uint8Array)) {
    throw new TypeError(
      `Secret key must be a Uint8Array, got ${secretKey === null ? 'null' : typeof secretKey}`,
    );
  }
  if (secretKey.length !== X25519_KEY_LENGTH) {
    throw new KeyFormatError(
      'secret',
      'length',
      `Secret key must be ${X25519_KEY_LENGTH} bytes long, got ${secretKey.length} bytes.`,
    );
  }
  return encodeKeyText('secret', secretKey);
}

/** Decodes a secret key text strictly. Errors never include any part of the text. */
export function decodeSecretKey(text: string): Uint8Array {
  return decodeKeyText('secret', text);
}

/** Converts key text or raw bytes to a checked 32-byte public key (a copy). */
export function toPublicKey(input: PublicKeyInput): Uint8Array {
  return typeof input === 'string' ? decodePublicKey(input) : checkPublicKey(input);
}
