import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { KEYGEN_HELP, PUB_HELP, SUB_HELP } from '../src/help.js';
import { PayloadTooLargeError } from '@mqtt-e2ee/envelope';
import { MessageTooLargeError, SenderNotAllowedError } from '@mqtt-e2ee/node-client';
import { redactSecrets } from '../src/errors.js';
import { readAll, splitLines } from '../src/input.js';
import { describeTooLarge } from '../src/pub.js';
import { describeRejection } from '../src/sub.js';
import { formatMessage } from '../src/output.js';
import type { OptionTable } from '../src/argv.js';
import { KEYGEN_OPTIONS, PUB_OPTIONS, SUB_OPTIONS } from '../src/parse.js';

async function collect(chunks: (string | Uint8Array)[]): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of splitLines(Readable.from(chunks))) lines.push(Buffer.from(line).toString('latin1'));
  return lines;
}

describe('help text', () => {
  const tables: [string, string, OptionTable][] = [
    ['pub', PUB_HELP, PUB_OPTIONS],
    ['sub', SUB_HELP, SUB_OPTIONS],
    ['keygen', KEYGEN_HELP, KEYGEN_OPTIONS],
  ];

  for (const [command, help, options] of tables) {
    it(`documents every ${command} flag`, () => {
      for (const [name, option] of Object.entries(options)) {
        expect(help, `--${name}`).toMatch(new RegExp(`--${name}\\b`));
        if (option.short !== undefined) expect(help, `-${option.short}`).toContain(`-${option.short}, --${name}`);
      }
    });
  }

  it('sub help names skipped envelopes', () => {
    const text = SUB_HELP.replace(/\s+/g, ' ');
    expect(text).toContain('An envelope addressed to another recipient is skipped without a line on stderr, unless -d is given.');
  });

  it('keeps lines within 80 columns', () => {
    for (const help of [PUB_HELP, SUB_HELP, KEYGEN_HELP]) {
      for (const line of help.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    }
  });
});

describe('splitLines', () => {
  it('splits across chunk boundaries', async () => {
    expect(await collect(['ab', 'c\nd', 'e\n', '\nf'])).toEqual(['abc', 'de', '', 'f']);
  });

  it('keeps carriage returns and raw bytes', async () => {
    const bytes = Uint8Array.from([0xff, 0x00, 0x0d, 0x0a, 0x80]);
    expect(await collect([bytes])).toEqual(['\xff\x00\r', '\x80']);
  });

  it('yields nothing for empty input', async () => {
    expect(await collect([])).toEqual([]);
  });

  it('drops nothing after a final newline', async () => {
    expect(await collect(['one\ntwo\n'])).toEqual(['one', 'two']);
  });
});

describe('formatMessage', () => {
  const payload = Uint8Array.from([0x68, 0x69, 0x00, 0xff]);

  it('prints raw payload and newline', () => {
    const out = formatMessage('t/1', payload, { verbose: false, noEol: false, hex: false });
    expect([...out]).toEqual([0x68, 0x69, 0x00, 0xff, 0x0a]);
  });

  it('prefixes the topic with -v', () => {
    const out = formatMessage('t/1', payload, { verbose: true, noEol: true, hex: false });
    expect([...out]).toEqual([...Buffer.from('t/1 '), 0x68, 0x69, 0x00, 0xff]);
  });

  it('prints hex with --hex', () => {
    expect(formatMessage('t', payload, { verbose: true, noEol: false, hex: true }).toString()).toBe('t 686900ff\n');
  });

  it('respects a view offset', () => {
    const view = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
    expect([...formatMessage('t', view, { verbose: false, noEol: true, hex: false })]).toEqual([2, 3]);
  });
});

describe('redactSecrets', () => {
  const body = 'q7Xv2kQW3oT9b8n1LmP0aZcY4rE6sD5fG7hJ8kL9mN0pQ1r';

  it('hides every secret key kind', () => {
    const text = `a mqe2e-sk1-${body} b mqe2e-ss1-${body} c mqe2e-as1-${body}`;
    expect(redactSecrets(text)).toBe('a mqe2e-sk1-<redacted> b mqe2e-ss1-<redacted> c mqe2e-as1-<redacted>');
  });

  it('hides mistyped secret keys', () => {
    for (const text of [`MQE2E-SK1-${body}`, `mqe2e-sk2-${body}`, `'mqe2e-sk${body}'`]) {
      const redacted = redactSecrets(text);
      expect(redacted, text).toContain('mqe2e-sk1-<redacted>');
      expect(redacted.toLowerCase(), text).not.toContain(body.toLowerCase());
    }
  });

  it('keeps public keys and bare prefixes', () => {
    const text = `--to mqe2e-pk1-${body}; a secret key (mqe2e-sk1-...) is not shared`;
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('describeTooLarge', () => {
  it('names the MQTT limit and the fix', () => {
    const text = describeTooLarge(new PayloadTooLargeError('sealed envelope', 300_000_000, 268_435_455));
    expect(text).toContain('the encrypted message is 300,000,000 bytes');
    expect(text).toContain('at most 268,435,455 bytes');
    expect(text).toContain('split the data into parts');
    expect(text).not.toContain('maxEnvelopeBytes');
  });

  it('names a smaller broker limit', () => {
    const error = new MessageTooLargeError('outgoing', 't', 2_000_000, 1_048_576, "the broker's Maximum Packet Size");
    const text = describeTooLarge(error);
    expect(text).toContain('2,000,000 bytes, more than the 1,048,576 bytes the broker accepts');
    expect(text).not.toContain('maxMessageBytes');
  });
});

describe('readAll', () => {
  it('stops above the byte limit', async () => {
    const stream = Readable.from([Buffer.alloc(60), Buffer.alloc(60)]);
    await expect(readAll(stream, 100)).rejects.toThrow(/stdin \(-s\) is more than 100 bytes, too large for one MQTT message/);
  });

  it('returns everything within the limit', async () => {
    const bytes = await readAll(Readable.from([Buffer.from('ab'), Buffer.from('c')]), 3);
    expect(Buffer.from(bytes).toString()).toBe('abc');
  });
});

describe('describeRejection', () => {
  it('names --from for a sender not allowed', () => {
    const text = describeRejection(new SenderNotAllowedError('0123456789abcdef'));
    expect(text).toBe("sender key id 0123456789abcdef is not in the --from list; add the sender's public key with --from to accept its messages");
  });

  it('keeps other messages on one line', () => {
    expect(describeRejection(new Error('first\n  second'))).toBe('first second');
  });
});
