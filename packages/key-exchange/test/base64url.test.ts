import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64Url, encodeBase64Url, findBase64UrlProblem } from '../src/base64url.js';

describe('base64url codec', () => {
  it('matches Node encoder for all lengths', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = randomBytes(length);
      const text = bytes.toString('base64url');
      expect(encodeBase64Url(bytes)).toBe(text);
      expect(Buffer.from(decodeBase64Url(text)).equals(bytes)).toBe(true);
    }
  });

  it('rejects non-canonical trailing bits', () => {
    // "AA" is the only canonical text of one zero byte; "AB" sets an unused low bit.
    expect(findBase64UrlProblem('AA')).toBeUndefined();
    expect(findBase64UrlProblem('AB')).toEqual({ kind: 'non-canonical' });
    expect(findBase64UrlProblem('AAA')).toBeUndefined();
    expect(findBase64UrlProblem('AAB')).toEqual({ kind: 'non-canonical' });
    expect(() => decodeBase64Url('AB')).toThrow(RangeError);
  });

  it('rejects impossible lengths', () => {
    expect(findBase64UrlProblem('A')).toEqual({ kind: 'length' });
    expect(findBase64UrlProblem('AAAAA')).toEqual({ kind: 'length' });
  });

  it('rejects characters outside alphabet', () => {
    for (const character of ['+', '/', '=', ' ', '.', 'é', '\u0000']) {
      expect(findBase64UrlProblem(`AA${character}A`)).toEqual({ kind: 'alphabet', index: 2 });
    }
  });
});
