/**
 * Command line of the kit:
 *   mqtt-e2ee-conformance [--vectors DIR] [--broker URL] [--only PREFIX]... [--timeout MS] [--verbose] -- COMMAND [ARG...]
 * With --broker it adds the live cases, which run over that MQTT broker.
 * It starts COMMAND, runs every case through it, prints each failed case with what differed and
 * ends with the line "N passed, N failed". Exit status 0 when all passed, 1 otherwise, 2 on usage errors.
 */
import { fileURLToPath } from 'node:url';
import { loadCases } from './cases.js';
import { liveCases } from './live.js';
import { runConformance, type CaseResult, type RunReport } from './runner.js';

const USAGE =
  'usage: mqtt-e2ee-conformance [--vectors DIR] [--broker URL] [--only PREFIX]... [--timeout MS] [--verbose] -- COMMAND [ARG...]';

/** Directory of the repository's test vectors, the default of --vectors. */
export const DEFAULT_VECTOR_DIR = fileURLToPath(new URL('../../../test-vectors/', import.meta.url));

export interface CliOptions {
  vectorDir: string;
  /** MQTT broker URL for the live cases; without it they are not run. */
  broker?: string;
  only: string[];
  timeoutMs: number;
  verbose: boolean;
  command: string;
  args: string[];
}

/** Parses the arguments. Raises TypeError with the usage line on a mistake. */
export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { vectorDir: DEFAULT_VECTOR_DIR, only: [], timeoutMs: 30_000, verbose: false, command: '', args: [] };
  const separator = argv.indexOf('--');
  const flags = separator < 0 ? argv : argv.slice(0, separator);
  const command = separator < 0 ? [] : argv.slice(separator + 1);
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i];
    const value = () => {
      const next = flags[++i];
      if (next === undefined) throw new TypeError(`${flag} needs a value\n${USAGE}`);
      return next;
    };
    if (flag === '--vectors') options.vectorDir = value();
    else if (flag === '--only') options.only.push(value());
    else if (flag === '--broker') options.broker = value();
    else if (flag === '--timeout') options.timeoutMs = Number(value());
    else if (flag === '--verbose') options.verbose = true;
    else throw new TypeError(`unknown option ${flag}\n${USAGE}`);
  }
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0) throw new TypeError(`--timeout must be a positive number of milliseconds\n${USAGE}`);
  if (command[0] === undefined) throw new TypeError(`missing adapter command after --\n${USAGE}`);
  options.command = command[0];
  options.args = command.slice(1);
  return options;
}

function printResult(result: CaseResult, verbose: boolean, write: (line: string) => void): void {
  if (result.passed) {
    if (verbose) write(`pass ${result.id}`);
    return;
  }
  write(`FAIL ${result.id}`);
  for (const line of result.details.slice(0, 5)) write(`     ${line}`);
  if (result.details.length > 5) write(`     ... and ${result.details.length - 5} more differences`);
}

/** Runs the kit with parsed options and prints the report. */
export async function runKit(options: CliOptions, write: (line: string) => void = console.log): Promise<RunReport> {
  const all = [...loadCases(options.vectorDir), ...(options.broker === undefined ? [] : liveCases(options.broker))];
  const cases = all.filter((c) => options.only.length === 0 || options.only.some((prefix) => c.id.startsWith(prefix)));
  const report = await runConformance({
    command: options.command,
    args: options.args,
    cases,
    timeoutMs: options.timeoutMs,
    onResult: (result) => printResult(result, options.verbose, write),
  });
  write(`implementation: ${report.implementation}, ${cases.length} cases`);
  write(`${report.passed} passed, ${report.failed} failed`);
  return report;
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const report = await runKit(options);
  return report.failed === 0 && report.passed > 0 ? 0 : 1;
}
