#!/usr/bin/env node
import { run } from './run.js';

// SIGINT and SIGTERM end `sub` with a clean disconnect instead of killing the process mid-write.
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort());
}

// A reader that goes away early (`mqtt-e2ee sub ... | head -1`) closes stdout with EPIPE.
// `sub` stops on that error itself; this listener keeps it from crashing the process.
process.stdout.on('error', () => undefined);

const status = await run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
// Exiting explicitly ends a pending stdin read. run() has already flushed stdout.
process.exit(status);
