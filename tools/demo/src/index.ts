/** @mqtt-e2ee/demo: the end-to-end demo behind `pnpm demo`, as functions for tests. */
export { main, type DemoIo } from './main.js';
export { runDemo, type DemoRun } from './demo.js';
export { parseDemoArgs, DEMO_HELP, DEFAULT_FILE, DemoUsageError, type DemoOptions, type ParsedDemoArgs } from './options.js';
export { buildReport, formatSummary, type DemoReport } from './report.js';
export { compareLines, findLeaks, splitFileLines, sha256Hex, MIN_SEARCHED_LINE_BYTES, type LeakSearch, type LineComparison } from './verify.js';
