/**
 * Renders a result file as Markdown tables, for pasting into BENCHMARKS.md.
 *
 *   node bench/dist/markdown.js [bench/results/latest.json]
 */
import { readFileSync } from 'node:fs';
import type { BenchResults } from './main.js';
import { formatFixed, formatRate } from './stats.js';
import { cryptoRateCells, epochCells, EPOCH_HEADER } from './table.js';

const NUMERIC = /^(>= )?[-\d.,]+(k|M|x)?( \/ [\d.]+(k|M)?)?( met| missed)?$|^n\/a$|^-$/;

function table(header: string[], rows: string[][]): string {
  // Columns whose cells are all numbers align right, text columns left.
  const align = header.map((_, column) => (rows.every((row) => NUMERIC.test(row[column] ?? '')) ? '---:' : '---'));
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function ratio(value: number | null): string {
  return value === null ? 'not yet measured' : value.toFixed(2);
}

function render(results: BenchResults): string {
  const parts: string[] = [];
  parts.push(
    table(
      ['QoS', 'mode', 'provider', 'plaintext msgs/s', 'encrypted msgs/s', 'ratio', 'target', 'CPU us/msg encrypted / plaintext', 'CPU ratio', 'p50 ms', 'p99 ms', 'plaintext p50 / p99 ms'],
      results.throughput.map((row) => [
        String(row.qos),
        row.mode,
        row.provider ?? '-',
        formatRate(row.plaintext_msgs_per_s),
        row.e2ee_msgs_per_s === null ? 'not yet measured' : formatRate(row.e2ee_msgs_per_s),
        ratio(row.ratio),
        row.target_ratio === null ? '-' : `>= ${row.target_ratio}${row.meets_target === null ? '' : row.meets_target ? ' met' : ' missed'}`,
        `${formatFixed(row.e2ee_cpu_us_per_msg ?? null, 1)} / ${formatFixed(row.plaintext_cpu_us_per_msg ?? null, 1)}`,
        row.cpu_ratio === null || row.cpu_ratio === undefined ? '-' : row.cpu_ratio.toFixed(2),
        formatFixed(row.p50_ms, 2),
        formatFixed(row.p99_ms, 2),
        `${formatFixed(row.plaintext_p50_ms, 2)} / ${formatFixed(row.plaintext_p99_ms, 2)}`,
      ]),
    ),
  );
  parts.push(
    table(
      ['provider', 'bytes', 'seal ops/s', 'open ops/s', 'seal MB/s', 'open MB/s', 'aeadSeal ops/s', 'aeadOpen ops/s', 'library seal / open ops/s', 'envelope / aead', 'envelope / library'],
      results.crypto.map((row) => [
        ...cryptoRateCells(row),
        row.library_aead_seal_ops_per_s === null || row.library_aead_open_ops_per_s === null
          ? 'n/a'
          : `${formatRate(row.library_aead_seal_ops_per_s)} / ${formatRate(row.library_aead_open_ops_per_s)}`,
        `${row.envelope_vs_provider_aead.toFixed(2)}x`,
        row.envelope_vs_library_aead === null ? 'n/a' : `${row.envelope_vs_library_aead.toFixed(2)}x`,
      ]),
    ),
  );
  parts.push(
    table(
      ['provider', 'X25519 ops/s', 'sender session setup us', 'receiver session setup us', 'single-shot msgs/s'],
      results.sessions.map((row) => [
        row.provider,
        formatRate(row.x25519_ops_per_s),
        formatFixed(row.sender_setup_us, 0),
        formatFixed(row.receiver_setup_us, 0),
        formatRate(row.single_shot_msgs_per_s),
      ]),
    ),
  );
  if (results.epochs !== undefined && results.epochs.length > 0) {
    parts.push(table(EPOCH_HEADER, results.epochs.map(epochCells)));
  }
  parts.push(
    table(
      ['mode', 'payload bytes', 'envelope bytes', 'overhead bytes', 'what the bytes carry'],
      results.overhead.map((row) => [
        row.mode,
        String(row.payload_bytes),
        row.envelope_bytes === null ? '-' : String(row.envelope_bytes),
        row.overhead_bytes === null ? '-' : String(row.overhead_bytes),
        row.note,
      ]),
    ),
  );
  return `${parts.join('\n\n')}\n`;
}

const file = process.argv[2] ?? new URL('../results/latest.json', import.meta.url);
process.stdout.write(render(JSON.parse(readFileSync(file, 'utf8')) as BenchResults));
