/** @mqtt-e2ee/conformance: the conformance kit for envelope v1 as a library. */
export { loadCases, SUITES, type KitCase } from './cases.js';
export { differences } from './compare.js';
export { runConformance, PROTOCOL, PROTOCOL_VERSION, type CaseResult, type RunOptions, type RunReport } from './runner.js';
export { parseArgs, runKit, main, DEFAULT_VECTOR_DIR, type CliOptions } from './cli.js';
export { liveCases } from './live.js';
