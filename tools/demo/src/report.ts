import type { DemoRun } from './demo.js';
import type { CapturedMessage } from './eavesdropper.js';
import { MIN_SEARCHED_LINE_BYTES, compareLines, findLeaks, sha256Hex, type LeakSearch, type LineComparison } from './verify.js';

/** Outcome of one demo run. `passed` is true only when every check held. */
export interface DemoReport {
  broker: string;
  file: string;
  /** Messages published: one per line plus one for the whole file. */
  messagesSent: number;
  /** Messages the recipient decrypted. */
  messagesReceived: number;
  /** Plaintext bytes of every message sent. */
  plaintextBytes: number;
  /** Payload bytes of the envelopes on the demo topics, as the eavesdropper captured them. */
  envelopeBytes: number;
  /** Envelope bytes minus plaintext bytes, per captured message. */
  overheadPerMessage: number;
  /** Line messages per second, from the first publish until the last line arrived; 0 if lines were lost. */
  messagesPerSecond: number;
  lines: LineComparison;
  fileSha256: string;
  receivedFileSha256?: string;
  /** Messages the recipient rejected, as "CODE on TOPIC". */
  rejected: string[];
  /** Messages the eavesdropper captured in total and on the demo topics. */
  captured: { total: number; onDemoTopics: number };
  leaks: LeakSearch;
  failures: string[];
  passed: boolean;
}

/** Checks the run, prints the leak search step and returns the report. */
export function buildReport(run: DemoRun, log: (line: string) => void): DemoReport {
  const envelopes = run.eavesdropper.on(run.prefix);
  const leaks = findLeaks(run.lines, run.eavesdropper.captured.map((message) => message.payload));
  logLeakSearch(run, envelopes, leaks, log);

  const received = run.inbox.files[0];
  const plaintextBytes = run.content.length + run.lines.reduce((sum, line) => sum + line.length, 0);
  const envelopeBytes = envelopes.reduce((sum, message) => sum + message.payload.length, 0);

  const report: DemoReport = {
    broker: run.broker,
    file: run.file,
    messagesSent: run.lines.length + 1,
    messagesReceived: run.inbox.lines.length + run.inbox.files.length,
    plaintextBytes,
    envelopeBytes,
    overheadPerMessage: envelopes.length === 0 ? 0 : (envelopeBytes - plaintextBytes) / envelopes.length,
    messagesPerSecond: run.linesElapsedMs === undefined ? 0 : run.lines.length / (run.linesElapsedMs / 1000),
    lines: compareLines(run.lines, run.inbox.lines),
    fileSha256: sha256Hex(run.content),
    rejected: [...run.inbox.rejected],
    captured: { total: run.eavesdropper.captured.length, onDemoTopics: envelopes.length },
    leaks,
    failures: [],
    passed: false,
  };
  if (received !== undefined) report.receivedFileSha256 = sha256Hex(received);

  report.failures = findFailures(report, run);
  report.passed = report.failures.length === 0;
  return report;
}

function logLeakSearch(run: DemoRun, envelopes: CapturedMessage[], leaks: LeakSearch, log: (line: string) => void): void {
  const captured = run.eavesdropper.captured.length;
  log(`5. The eavesdropper captured ${countOf(captured, 'message')}, ${envelopes.length} of them on the demo topics.`);
  const found = leaks.leaked.length === 0 ? 'None' : String(leaks.leaked.length);
  const verb = leaks.leaked.length === 1 ? 'appears' : 'appear';
  log(`   ${found} of the ${countOf(leaks.searched, 'line')} of ${MIN_SEARCHED_LINE_BYTES} or more bytes ${verb} in a captured payload.`);
  const first = envelopes[0];
  if (first !== undefined) {
    const start = first.payload.subarray(0, 20).toString('hex');
    log(`   The first line as the eavesdropper saw it: ${first.payload.length} bytes, ${start}...`);
  }
}

function findFailures(report: DemoReport, run: DemoRun): string[] {
  const failures: string[] = [];
  const { lines } = report;
  if (lines.mismatched.length > 0) {
    failures.push(`${lines.mismatched.length} of ${countOf(run.lines.length, 'line')} missing or different, first at line ${(lines.mismatched[0] ?? 0) + 1}`);
  }
  if (lines.extra > 0) failures.push(`${countOf(lines.extra, 'more line message')} received than sent`);
  if (report.receivedFileSha256 === undefined) failures.push('the whole-file message did not arrive');
  else if (report.receivedFileSha256 !== report.fileSha256) failures.push('the whole-file message arrived with a different SHA-256');
  if (run.inbox.files.length > 1) failures.push(`the whole-file message arrived ${run.inbox.files.length} times`);
  if (report.rejected.length > 0) {
    failures.push(`${countOf(report.rejected.length, 'message')} rejected by the recipient: ${report.rejected.slice(0, 3).join(', ')}`);
  }
  if (report.captured.onDemoTopics < report.messagesSent) {
    failures.push(`the eavesdropper captured ${report.captured.onDemoTopics} of ${countOf(report.messagesSent, 'envelope')}, so the leak search is incomplete`);
  }
  if (report.leaks.leaked.length > 0) {
    failures.push(`${countOf(report.leaks.leaked.length, 'plaintext line')} visible to the eavesdropper, first at line ${(report.leaks.leaked[0] ?? 0) + 1}`);
  }
  return failures;
}

/** Formats the summary table and the verdict. */
export function formatSummary(report: DemoReport): string[] {
  const lineMessages = report.messagesSent - 1;
  const rows: [string, string][] = [
    ['messages sent', `${report.messagesSent} (${countOf(lineMessages, 'line')} + 1 whole file)`],
    ['messages received', `${report.messagesReceived}, ${report.lines.matched} lines identical, file ${fileVerdict(report)}`],
    ['plaintext bytes', String(report.plaintextBytes)],
    ['envelope bytes', `${report.envelopeBytes} (what the broker carried)`],
    ['overhead per message', `${report.overheadPerMessage.toFixed(1)} bytes`],
    ['throughput', `${report.messagesPerSecond.toFixed(0)} msgs/s (line messages, publish to decrypted delivery)`],
    ['leak search', describeLeakSearch(report)],
    ['failures', String(report.failures.length)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = ['Summary', ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)];
  for (const failure of report.failures) lines.push(`  FAILED: ${failure}`);
  lines.push(report.passed ? 'PASS' : 'FAIL');
  return lines;
}

function describeLeakSearch(report: DemoReport): string {
  const { leaks } = report;
  let text = `${countOf(leaks.searched, 'line')} searched in ${countOf(report.captured.total, 'captured payload')}, ${leaks.leaked.length} found`;
  if (leaks.tooShort > 0) text += `, ${countOf(leaks.tooShort, 'line')} under ${MIN_SEARCHED_LINE_BYTES} bytes not searched`;
  return text;
}

/** Formats a count with its noun, such as "1 line" or "2 lines". */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

function fileVerdict(report: DemoReport): string {
  if (report.receivedFileSha256 === undefined) return 'missing';
  return report.receivedFileSha256 === report.fileSha256 ? 'SHA-256 identical' : 'SHA-256 different';
}
