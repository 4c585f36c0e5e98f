import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { KEYGEN_HELP, PUB_HELP, SUB_HELP } from '../src/help.js';
import { splitLines } from '../src/input.js';
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
