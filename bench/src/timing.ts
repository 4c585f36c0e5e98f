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

/** One operation of an interleaved measurement. */
export interface RateTask {
  batch: () => void;
  batchSize: number;
  prepare?: () => void;
}

/**
 * Measures several operations in turns: each sample round times every task once, so a burst of
 * load from other processes hits all tasks alike instead of one. Returns the median rate of each.
 */
export function measureRates(tasks: readonly RateTask[], options: RateOptions): number[] {
  const none = (): void => undefined;
  for (const task of tasks) runFor(task.batch, task.prepare ?? none, options.warmupMs);
  const rates: number[][] = tasks.map(() => []);
  for (let i = 0; i < options.samples; i++) {
    tasks.forEach((task, index) => {
      const { operations, elapsedMs } = runFor(task.batch, task.prepare ?? none, options.sampleMs);
      rates[index]?.push(((operations * task.batchSize) / elapsedMs) * 1000);
    });
  }
  return rates.map((list) => median(list));
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
