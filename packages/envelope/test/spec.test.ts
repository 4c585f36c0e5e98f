import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as envelope from '../src/index.js';

const spec = readFileSync(fileURLToPath(new URL('../../../spec/envelope-v1.md', import.meta.url)), 'utf8');
const registry = spec.slice(spec.indexOf('## 12. Error registry'), spec.indexOf('## 13.'));
const rows = [...registry.matchAll(/^\| `(ERR_[A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => ({ code: m[1]!, classes: m[2]!.trim() }));

describe('spec error registry', () => {
  it('lists ERROR_CODES in order', () => {
    expect(rows.map((row) => row.code)).toEqual([...envelope.ERROR_CODES]);
  });

  it('names the class of each code', () => {
    const samples: Record<string, envelope.E2eeError> = {
      EnvelopeFormatError: new envelope.EnvelopeFormatError('x'),
      UnsupportedVersionError: new envelope.UnsupportedVersionError(2),
      UnsupportedSuiteError: new envelope.UnsupportedSuiteError(2),
      PayloadTooLargeError: new envelope.PayloadTooLargeError('envelope', 2, 1),
      NotForRecipientError: new envelope.NotForRecipientError('00'),
      UnknownSenderError: new envelope.UnknownSenderError('00'),
      DecryptionError: new envelope.DecryptionError(),
      DuplicateMessageError: new envelope.DuplicateMessageError(1n, '00'),
      ReplayError: new envelope.ReplayError(1n, 'too old'),
      PaddingError: new envelope.PaddingError(),
      InvalidKeyError: new envelope.InvalidKeyError('x'),
    };
    for (const row of rows.filter((r) => r.code !== 'ERR_INVALID_ARGUMENT')) {
      const className = row.classes.replaceAll('`', '');
      const sample = samples[className];
      expect(sample, className).toBeDefined();
      expect(sample!.code, className).toBe(row.code);
      expect(sample!.name).toBe(className);
    }
  });

  it('states the defaults of the code', () => {
    expect(spec).toContain(`\`W = ${envelope.DEFAULT_REPLAY_WINDOW}\``);
    expect(spec).toContain('65536 messages and one hour');
    expect(envelope.DEFAULT_MAX_MESSAGES_PER_SESSION).toBe(65536);
    expect(envelope.DEFAULT_MAX_SESSION_AGE_MS).toBe(3_600_000);
    expect(spec).toContain('268,435,455');
    expect(envelope.MAX_ENVELOPE_BYTES).toBe(268_435_455);
    expect(spec).toContain('keep 100,000 sessions');
    expect(envelope.DEFAULT_MAX_STORED_SESSIONS).toBe(100_000);
  });
});
