/** Small statistics and formatting helpers for benchmark samples. */

/** Returns the median of `values`, or NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Returns the `p`-th percentile (0 to 100) of the first `count` values by the nearest-rank
 * method. Sorts `values` in place.
 */
export function percentile(values: Float64Array, count: number, p: number): number {
  if (count === 0) return Number.NaN;
  const view = values.subarray(0, count).sort();
  const rank = Math.min(count, Math.max(1, Math.ceil((p / 100) * count)));
  return view[rank - 1] as number;
}

/** Rounds to `digits` significant digits, for JSON output that stays readable. */
export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

/** Formats a rate such as 54321.2 as "54.3k". */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

/** Formats a number with a fixed number of decimals, or "n/a". */
export function formatFixed(value: number | null | undefined, decimals: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return value.toFixed(decimals);
}
