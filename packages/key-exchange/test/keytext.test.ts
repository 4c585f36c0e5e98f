import { x25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  KeyFormatError,
  PUBLIC_KEY_PREFIX,
  SECRET_KEY_PREFIX,
  checkPublicKey,
  decodePublicKey,
  decodeSecretKey,
  encodePublicKey,
  encodeSecretKey,
  toPublicKey,
  type KeyFormatReason,
} from '../src/index.js';
import { buildKeyText, fixedBytes } from './helpers.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const secretKey = fixedBytes('keytext test secret');
const publicKey = x25519.getPublicKey(secretKey);
const publicText = buildKeyText(PUBLIC_KEY_PREFIX, publicKey);
const secretText = buildKeyText(SECRET_KEY_PREFIX, secretKey);

function reasonOf(action: () => unknown): KeyFormatReason | 'accepted' | 'other' {
  try {
    action();
    return 'accepted';
  } catch (error) {
    return error instanceof KeyFormatError ? error.reason : 'other';
  }
}

function errorOf(action: () => unknown): KeyFormatError {
  try {
    action();
  } catch (error) {
    if (error instanceof KeyFormatError) return error;
    throw error;
  }
  throw new Error('expected a KeyFormatError, but the call succeeded');
}

describe('key text encoding', () => {
  it('public key matches independent encoding', () => {
    expect(encodePublicKey(publicKey)).toBe(publicText);
    expect(publicText).toHaveLength(58);
    expect(Buffer.from(decodePublicKey(publicText)).equals(Buffer.from(publicKey))).toBe(true);
  });

  it('secret key matches independent encoding', () => {
    expect(encodeSecretKey(secretKey)).toBe(secretText);
    expect(Buffer.from(decodeSecretKey(secretText)).equals(Buffer.from(secretKey))).toBe(true);
  });

  it('round trips many random keys', () => {
    for (let round = 0; round < 50; round++) {
      const secret = x25519.utils.randomSecretKey();
      const pub = x25519.getPublicKey(secret);
      expect(decodePublicKey(encodePublicKey(pub))).toEqual(pub);
      expect(decodeSecretKey(encodeSecretKey(secret))).toEqual(secret);
    }
  });

  it('toPublicKey accepts text and bytes', () => {
    expect(toPublicKey(publicText)).toEqual(publicKey);
    expect(toPublicKey(publicKey)).toEqual(publicKey);
    expect(toPublicKey(publicKey)).not.toBe(publicKey);
  });
});

describe('single-character mutations', () => {
  const candidates = [...ALPHABET, '=', '+', '/', ' ', 'M', 'P', 'S', '1', '2'];

  function mutations(text: string): string[] {
    const out = new Set<string>();
    for (let index = 0; index < text.length; index++) {
      for (const character of candidates) {
        if (character !== text[index]) {
          out.add(text.slice(0, index) + character + text.slice(index + 1));
        }
      }
    }
    return [...out];
  }

  it('rejects every public key mutation', () => {
    const variants = mutations(publicText);
    expect(variants.length).toBeGreaterThan(58 * 60);
    const accepted = variants.filter((variant) => reasonOf(() => decodePublicKey(variant)) === 'accepted');
    expect(accepted).toEqual([]);
  });

  it('rejects every secret key mutation', () => {
    const variants = mutations(secretText);
    const accepted = variants.filter((variant) => reasonOf(() => decodeSecretKey(variant)) === 'accepted');
    expect(accepted).toEqual([]);
  });

  it('body mutations fail the checksum', () => {
    const body = publicText.slice(PUBLIC_KEY_PREFIX.length);
    for (let index = 0; index < body.length; index++) {
      const replacement = body[index] === 'A' ? 'B' : 'A';
      const variant = PUBLIC_KEY_PREFIX + body.slice(0, index) + replacement + body.slice(index + 1);
      expect(
        reasonOf(() => decodePublicKey(variant)),
        `index ${index}`,
      ).toBe('checksum');
    }
  });
});

describe('strict public key decoding', () => {
  const body = publicText.slice(PUBLIC_KEY_PREFIX.length);

  it('rejects wrong prefixes', () => {
    for (const prefix of ['mqe2e-pk2-', 'MQE2E-PK1-', 'mqe2e_pk1-', 'pk1-', '', 'x', 'mqe2e-pk1']) {
      expect(
        reasonOf(() => decodePublicKey(prefix + body)),
        prefix,
      ).toBe('prefix');
    }
  });

  it('rejects a secret key', () => {
    const error = errorOf(() => decodePublicKey(secretText));
    expect(error.reason).toBe('prefix');
    expect(error.message).toContain('secret key');
    expect(error.message).not.toContain(
      secretText.slice(SECRET_KEY_PREFIX.length, SECRET_KEY_PREFIX.length + 8),
    );
  });

  it('rejects padding', () => {
    expect(reasonOf(() => decodePublicKey(`${publicText}=`))).toBe('padding');
    expect(reasonOf(() => decodePublicKey(`${publicText}==`))).toBe('padding');
    expect(reasonOf(() => decodePublicKey(`${publicText.slice(0, -1)}=`))).toBe('padding');
  });

  it('rejects wrong lengths', () => {
    expect(reasonOf(() => decodePublicKey(publicText.slice(0, -1)))).toBe('length');
    expect(reasonOf(() => decodePublicKey(publicText.slice(0, -4)))).toBe('length');
    expect(reasonOf(() => decodePublicKey(`${publicText}A`))).toBe('length');
    expect(reasonOf(() => decodePublicKey(`${publicText}AAAA`))).toBe('length');
    expect(reasonOf(() => decodePublicKey(PUBLIC_KEY_PREFIX))).toBe('length');
  });

  it('rejects standard base64 characters', () => {
    const standard = Buffer.from(body, 'base64url').toString('base64');
    expect(standard).toMatch(/[+/]/);
    const error = errorOf(() => decodePublicKey(PUBLIC_KEY_PREFIX + standard));
    expect(error.reason).toBe('alphabet');
    expect(error.message).toContain("'-' and '_'");
  });

  it('rejects whitespace anywhere', () => {
    for (const text of [
      ` ${publicText}`,
      `${publicText}\n`,
      `${publicText.slice(0, 30)} ${publicText.slice(30)}`,
    ]) {
      expect(reasonOf(() => decodePublicKey(text))).toBe('whitespace');
    }
  });

  it('rejects non-string input', () => {
    expect(() => decodePublicKey(42 as unknown as string)).toThrow(TypeError);
    expect(() => decodeSecretKey(null as unknown as string)).toThrow(TypeError);
  });

  it('rejects non-canonical key encodings', () => {
    const highBit = publicKey.slice();
    highBit[31] = (highBit[31] ?? 0) | 0x80;
    expect(reasonOf(() => decodePublicKey(buildKeyText(PUBLIC_KEY_PREFIX, highBit)))).toBe(
      'non-canonical-key',
    );
    // u = p + 9 encodes the base point (u = 9) a second time.
    const aliased = Buffer.alloc(32, 0xff);
    aliased[0] = 0xed + 9;
    aliased[31] = 0x7f;
    expect(reasonOf(() => decodePublicKey(buildKeyText(PUBLIC_KEY_PREFIX, aliased)))).toBe(
      'non-canonical-key',
    );
    expect(reasonOf(() => encodePublicKey(aliased))).toBe('non-canonical-key');
  });

  it('matches X25519 near low-order points', () => {
    const lowOrder = [0n, 1n, 2n ** 255n - 20n, uFromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800')];
    const scalar = fixedBytes('low-order probe scalar');
    for (const u of lowOrder.flatMap((value) => [value, value + 1n, value + 2n])) {
      const key = Buffer.from(u.toString(16).padStart(64, '0'), 'hex').reverse();
      let zeroSecret: boolean;
      try {
        zeroSecret = x25519.getSharedSecret(scalar, key).every((byte) => byte === 0);
      } catch {
        zeroSecret = true;
      }
      const reason = reasonOf(() => checkPublicKey(key));
      expect(reason === 'low-order', `u = ${u}`).toBe(zeroSecret);
    }
  });

  it('rejects raw keys of wrong length', () => {
    expect(reasonOf(() => checkPublicKey(new Uint8Array(31)))).toBe('length');
    expect(reasonOf(() => encodeSecretKey(new Uint8Array(33)))).toBe('length');
    expect(() => checkPublicKey('not bytes')).toThrow(TypeError);
  });
});

describe('secret key errors', () => {
  const body = secretText.slice(SECRET_KEY_PREFIX.length);
  const fragments = Array.from({ length: body.length - 7 }, (_, index) => body.slice(index, index + 8));

  it('never echo secret text', () => {
    const broken = [
      `${secretText}=`,
      secretText.slice(0, -1),
      `${secretText.slice(0, 40)}+${secretText.slice(41)}`,
      `${secretText.slice(0, 40)}${secretText[40] === 'A' ? 'B' : 'A'}${secretText.slice(41)}`,
      `MQE2E-SK1-${body}`,
      `mqe2e-sk9-${body}`,
      `${secretText} `,
    ];
    for (const text of broken) {
      const error = errorOf(() => decodeSecretKey(text));
      expect(error.code).toBe('ERR_KEY_FORMAT');
      expect(error.keyKind).toBe('secret');
      for (const fragment of fragments) {
        expect(error.message).not.toContain(fragment);
      }
      expect(error.message).not.toContain('"+"');
    }
  });

  it('rejects a public key', () => {
    const error = errorOf(() => decodeSecretKey(publicText));
    expect(error.reason).toBe('prefix');
    expect(error.message).toContain('.key file');
  });
});

/** Reads a little-endian hex u-coordinate as a number. */
function uFromHex(hex: string): bigint {
  return BigInt(`0x${Buffer.from(hex, 'hex').reverse().toString('hex')}`);
}
