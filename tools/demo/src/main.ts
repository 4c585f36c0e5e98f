import { realpathSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runDemo } from './demo.js';
import { removeKeyDirsSync } from './key-dir.js';
import { DEMO_HELP, DemoUsageError, parseDemoArgs } from './options.js';
import { formatSummary } from './report.js';

export interface DemoIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Runs the demo with command line `argv` and returns the exit status: 0 when everything
 * arrived intact and nothing leaked, 1 otherwise, 2 on a usage error.
 */
export async function main(argv: readonly string[], io: DemoIo = process): Promise<number> {
  let parsed: ReturnType<typeof parseDemoArgs>;
  try {
    parsed = parseDemoArgs(argv);
  } catch (error) {
    if (!(error instanceof DemoUsageError)) throw error;
    io.stderr.write(`mqtt-e2ee demo: ${error.message}\n`);
    return 2;
  }
  if (parsed.help) {
    io.stdout.write(DEMO_HELP);
    return 0;
  }
  const print = (line: string): void => {
    io.stdout.write(`${line}\n`);
  };
  print('mqtt-e2ee demo: end-to-end encrypted telemetry through an MQTT broker');
  print('');
  try {
    const report = await runDemo(parsed.options, print);
    print('');
    for (const line of formatSummary(report)) print(line);
    return report.passed ? 0 : 1;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`mqtt-e2ee demo: ${message}${typeof code === 'string' ? ` (${code})` : ''}\nFAIL\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/**
 * Removes the temporary key files and exits with 128 plus the signal number, the status a shell
 * reports for a process ended by that signal (130 for SIGINT, 143 for SIGTERM).
 */
function exitOnSignal(signal: 'SIGINT' | 'SIGTERM'): void {
  const failed = removeKeyDirsSync();
  for (const { dir, error } of failed) {
    const code = (error as { code?: unknown }).code;
    process.stderr.write(`mqtt-e2ee demo: removing the key directory ${dir} failed (${String(code ?? error)}); delete it by hand\n`);
  }
  process.stderr.write(`mqtt-e2ee demo: stopped by ${signal}${failed.length === 0 ? ', temporary key files removed' : ''}\n`);
  process.exit(128 + constants.signals[signal]);
}

if (isEntryPoint()) {
  // A reader that goes away early, as `pnpm demo | head` does, must not crash the run with EPIPE.
  process.stdout.on('error', () => undefined);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => exitOnSignal(signal));
  process.exitCode = await main(process.argv.slice(2));
}
