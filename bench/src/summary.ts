/** Console summary of a result set: tables, ratios against plaintext and targets. */
import type { BrowserResult } from './browser.js';
import type { BenchResults } from './main.js';
import { formatFixed, formatRate } from './stats.js';
import { cryptoRateCells, epochCells, EPOCH_HEADER, formatTable } from './table.js';

function ratioCell(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(3)}x`;
}

/** Largest (seal + open time) / (aeadSeal + aeadOpen time) that meets the target. */
const ENVELOPE_VS_AEAD_TARGET = 1.25;

function verdict(meets: boolean | null, target: number | null): string {
  if (target === null) return '';
  if (meets === null) return `>= ${target} (not measured)`;
  return meets ? `>= ${target} met` : `>= ${target} MISSED`;
}

export function printSummary(results: BenchResults, log: (line: string) => void): void {
  if (results.throughput.length > 0) {
    log(`\nThroughput, ${results.method['payload_bytes'] as number}-byte payloads (medians of ${results.method['rounds'] as number} rounds)`);
    log(
      formatTable(
        ['QoS', 'mode', 'provider', 'plain msgs/s', 'e2ee msgs/s', 'ratio', 'cpu us/msg', 'cpu ratio', 'p50 ms', 'p99 ms', 'plain p50', 'plain p99', 'lost+dup', 'target'],
        results.throughput.map((row) => [
          String(row.qos),
          row.mode,
          row.provider ?? '-',
          formatRate(row.plaintext_msgs_per_s),
          row.e2ee_msgs_per_s === null ? 'n/a' : formatRate(row.e2ee_msgs_per_s),
          ratioCell(row.ratio),
          `${formatFixed(row.e2ee_cpu_us_per_msg, 1)} / ${formatFixed(row.plaintext_cpu_us_per_msg, 1)}`,
          ratioCell(row.cpu_ratio),
          formatFixed(row.p50_ms, 2),
          formatFixed(row.p99_ms, 2),
          formatFixed(row.plaintext_p50_ms, 2),
          formatFixed(row.plaintext_p99_ms, 2),
          String(row.lost + row.duplicated + row.corrupted),
          verdict(row.meets_target, row.target_ratio),
        ]),
      ),
    );
  }
  if (results.crypto.length > 0) {
    log(`\nEnvelope seal/open against the AEAD call alone (ops/s; env/aead is (seal+open time) / (aeadSeal+aeadOpen time), target <= ${ENVELOPE_VS_AEAD_TARGET})`);
    log(
      formatTable(
        ['provider', 'bytes', 'seal', 'open', 'seal MB/s', 'open MB/s', 'aeadSeal', 'aeadOpen', 'lib seal', 'lib open', 'env/aead', 'env/lib', 'target'],
        results.crypto.map((row) => [
          ...cryptoRateCells(row),
          row.library_aead_seal_ops_per_s === null ? 'n/a' : formatRate(row.library_aead_seal_ops_per_s),
          row.library_aead_open_ops_per_s === null ? 'n/a' : formatRate(row.library_aead_open_ops_per_s),
          ratioCell(row.envelope_vs_provider_aead),
          ratioCell(row.envelope_vs_library_aead),
          `<= ${ENVELOPE_VS_AEAD_TARGET} ${row.envelope_vs_provider_aead <= ENVELOPE_VS_AEAD_TARGET ? 'met' : 'MISSED'}`,
        ]),
      ),
    );
  }
  if (results.sessions.length > 0) {
    log('\nSession setup (X25519 only when a session opens)');
    log(
      formatTable(
        ['provider', 'X25519 ops/s', 'sender setup us', 'receiver setup us', 'single-shot msgs/s'],
        results.sessions.map((row) => [
          row.provider,
          formatRate(row.x25519_ops_per_s),
          formatFixed(row.sender_setup_us, 1),
          formatFixed(row.receiver_setup_us, 1),
          formatRate(row.single_shot_msgs_per_s),
        ]),
      ),
    );
  }
  if (results.epochs !== undefined && results.epochs.length > 0) {
    log('\nGroup epoch setup (one member)');
    log(formatTable(EPOCH_HEADER, results.epochs.map(epochCells)));
  }
  log('\nOverhead per message');
  log(
    formatTable(
      ['mode', 'payload', 'envelope', 'overhead bytes'],
      results.overhead.map((row) => [
        row.mode,
        String(row.payload_bytes),
        row.envelope_bytes === null ? 'n/a' : String(row.envelope_bytes),
        row.overhead_bytes === null ? 'n/a' : String(row.overhead_bytes),
      ]),
    ),
  );
  if (results.memory !== null) {
    const memory = results.memory;
    log(
      `\nMemory, ${memory.sessions} sessions (${memory.provider}): receiver ${memory.receiver_bytes_per_session.toFixed(0)} B/session ` +
        `(${memory.receiver_total_mb.toFixed(1)} MB), sender ${memory.sender_bytes_per_session.toFixed(0)} B/session (${memory.sender_total_mb.toFixed(1)} MB)`,
    );
  }
  printBrowser(results.browser, log);
}

function printBrowser(browser: BrowserResult, log: (line: string) => void): void {
  if (browser.status !== 'measured') {
    log(`Chromium decrypt throughput: not measured: ${browser.note}`);
    return;
  }
  log(`\nChromium decrypt throughput (${browser.browser}, ${browser.provider} provider in the page; open/aead is open time / aeadOpen time)`);
  log(
    formatTable(
      ['bytes', 'envelopes', 'open ops/s', 'open MB/s', 'aeadOpen ops/s', 'open/aead'],
      browser.rows.map((row) => [
        String(row.size_bytes),
        String(row.envelopes),
        formatRate(row.open_ops_per_s),
        formatFixed(row.open_mb_per_s, 1),
        formatRate(row.aead_open_ops_per_s),
        ratioCell(row.open_vs_aead),
      ]),
    ),
  );
}
