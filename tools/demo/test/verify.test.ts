import { EventEmitter } from 'node:events';
import type { E2eeClient } from '@mqtt-e2ee/node-client';
import { describe, expect, it } from 'vitest';
import type { DemoRun } from '../src/demo.js';
import type { CapturedMessage, Eavesdropper } from '../src/eavesdropper.js';
import { Inbox } from '../src/inbox.js';
import { buildReport, formatSummary } from '../src/report.js';
import { compareLines, findLeaks, splitFileLines, type LeakSearch } from '../src/verify.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('splitFileLines', () => {
  it('splits on line feeds only', () => {
    const lines = splitFileLines(bytes('a,b\r\n\nlast'));
    expect(lines.map((line) => line.toString())).toEqual(['a,b\r', '', 'last']);
  });

  it('ignores a final line feed', () => {
    expect(splitFileLines(bytes('one\ntwo\n'))).toHaveLength(2);
    expect(splitFileLines(bytes(''))).toHaveLength(0);
  });
});

describe('compareLines', () => {
  it('finds changed, missing and extra lines', () => {
    const sent = [bytes('alpha'), bytes('beta'), bytes('gamma')];
    expect(compareLines(sent, [bytes('alpha'), bytes('BETA')])).toEqual({ matched: 1, mismatched: [1, 2], extra: 0 });
    expect(compareLines(sent, [...sent, bytes('delta')])).toEqual({ matched: 3, mismatched: [], extra: 1 });
  });
});

describe('findLeaks', () => {
  it('finds a line inside a payload', () => {
    const lines = [bytes('2025-03-14T06:00:00Z,greenhouse-01'), bytes('short'), bytes('never sent in clear')];
    const payloads = [Buffer.concat([Buffer.from([1, 2, 3]), lines[0] ?? Buffer.alloc(0), Buffer.from([4])]), bytes('noise')];
    expect(findLeaks(lines, payloads)).toEqual({ searched: 2, tooShort: 1, leaked: [0] });
  });
});

describe('buildReport', () => {
  function fakeRun(received: Buffer[], captured: CapturedMessage[]): DemoRun {
    const client = new EventEmitter() as unknown as E2eeClient;
    const inbox = new Inbox(client, 'p/telemetry/lines', 'p/telemetry/file');
    for (const payload of received) client.emit('message', { topic: 'p/telemetry/lines', payload } as never);
    const eavesdropper = {
      captured,
      on: (prefix: string) => captured.filter((message) => message.topic.startsWith(prefix)),
    } as unknown as Eavesdropper;
    const lines = [bytes('line number one, long enough'), bytes('line number two, long enough')];
    return { broker: 'test', file: 'f.csv', content: Buffer.concat([lines[0] ?? bytes(''), bytes('\n'), lines[1] ?? bytes('')]), lines, inbox, eavesdropper, prefix: 'p/' };
  }

  it('fails on loss and leaks', () => {
    const leaked = { topic: 'p/telemetry/lines', payload: bytes('xx line number two, long enough xx') };
    const report = buildReport(fakeRun([bytes('line number one, long enough')], [leaked]), () => undefined);
    expect(report.passed).toBe(false);
    expect(report.failures).toContain('1 of 2 lines missing or different, first at line 2');
    expect(report.failures).toContain('the whole-file message did not arrive');
    expect(report.failures).toContain('the eavesdropper captured 1 of 3 envelopes, so the leak search is incomplete');
    expect(report.failures).toContain('1 plaintext line visible to the eavesdropper, first at line 2');
    expect(formatSummary(report).at(-1)).toBe('FAIL');
  });

  const leakRows: [string, LeakSearch, number, string][] = [
    ['uses singular for one line', { searched: 1, tooShort: 1, leaked: [] }, 1, '1 line searched in 1 captured payload, 0 found, 1 line under 8 bytes not searched'],
    ['uses plural for other counts', { searched: 0, tooShort: 2, leaked: [] }, 0, '0 lines searched in 0 captured payloads, 0 found, 2 lines under 8 bytes not searched'],
  ];

  for (const [name, leaks, capturedTotal, expected] of leakRows) {
    it(name, () => {
      const report = buildReport(fakeRun([], []), () => undefined);
      report.leaks = leaks;
      report.captured = { total: capturedTotal, onDemoTopics: capturedTotal };
      const row = formatSummary(report).find((line) => line.includes('leak search')) ?? '';
      expect(row).toMatch(new RegExp(`leak search +${expected}$`));
    });
  }
});
