/** Plain-text tables for the console summary, and cells shared with the Markdown report. */
import type { CryptoRow } from './crypto.js';
import type { EpochRow } from './epochs.js';
import { formatFixed, formatRate } from './stats.js';

/** Formats rows as a table with a header line; numbers and 'n/a' align right. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return /^[-+]?[\d.]+[kM%x]?$|^n\/a$/.test(cell) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/**
 * The first eight cells of a crypto row: provider, size, envelope ops/s and MB/s, and the
 * provider's AEAD ops/s. The console and Markdown tables add their own library and ratio cells.
 */
export function cryptoRateCells(row: CryptoRow): string[] {
  return [
    row.provider,
    String(row.size_bytes),
    formatRate(row.seal_ops_per_s),
    formatRate(row.open_ops_per_s),
    formatFixed(row.seal_mb_per_s, 1),
    formatFixed(row.open_mb_per_s, 1),
    formatRate(row.provider_aead_seal_ops_per_s),
    formatRate(row.provider_aead_open_ops_per_s),
  ];
}

/** Header of the group epoch setup table, shared by the console and Markdown reports. */
export const EPOCH_HEADER = ['provider', 'sender epoch us', 'key message per member us', 'member install us'];

/** Formats the cells of one group epoch setup row. */
export function epochCells(row: EpochRow): string[] {
  return [
    row.provider,
    formatFixed(row.sender_epoch_us, 1),
    formatFixed(row.key_message_per_member_us, 1),
    formatFixed(row.member_install_us, 1),
  ];
}
