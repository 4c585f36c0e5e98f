/** Timing loop for synchronous operations: batches until a time budget is used, several samples. */
import { performance } from 'node:perf_hooks';
import { median } from './stats.js';

export interface RateOptions {
  /** Time per sample in milliseconds. */
  sampleMs: number;
  /** Samples taken; the median is reported. */
  samples: number;
  /** Unmeasured time spent first, so that the JIT compiles the hot path. */
  warmupMs: number;
}

/**
 * Measures operations per second of `batch`, which performs `batchSize` operations per call.
 * `prepare` runs before each batch outside the timed region, for state such as a fresh opener.
 */
export function measureRate(
  batch: () => void,
  batchSize: number,
  options: RateOptions,
  prepare: () => void = () => undefined,
): number {
  runFor(batch, prepare, options.warmupMs);
  const rates: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    const { operations, elapsedMs } = runFor(batch, prepare, options.sampleMs);
    rates.push(((operations * batchSize) / elapsedMs) * 1000);
  }
  return median(rates);
}

function runFor(batch: () => void, prepare: () => void, budgetMs: number): { operations: number; elapsedMs: number } {
  let operations = 0;
  let elapsedMs = 0;
  while (elapsedMs < budgetMs || operations === 0) {
    prepare();
    const start = performance.now();
    batch();
    elapsedMs += performance.now() - start;
    operations++;
  }
  return { operations, elapsedMs };
}
