/**
 * Runs an adapter process through the conformance protocol of spec/conformance.md: one JSON
 * object per line on stdin and stdout, a hello exchange, then one case at a time.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { KitCase } from './cases.js';
import { differences } from './compare.js';

export const PROTOCOL = 'mqtt-e2ee-conformance';
export const PROTOCOL_VERSION = 1;

export interface RunOptions {
  /** Executable of the adapter and its arguments. */
  command: string;
  args: readonly string[];
  cases: readonly KitCase[];
  /** Time the adapter has for each reply, in milliseconds. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Called after each case, for progress output. */
  onResult?: (result: CaseResult) => void;
}

export interface CaseResult {
  id: string;
  passed: boolean;
  /** Differences, one line each. Empty when the case passed. */
  details: string[];
}

export interface RunReport {
  implementation: string;
  results: CaseResult[];
  passed: number;
  failed: number;
}

/** A line reader with a per-line timeout that notices when the adapter exits. */
class LineChannel {
  readonly #lines: string[] = [];
  #waiting: ((line: string | Error) => void) | undefined;
  #closed: Error | undefined;

  constructor(input: NodeJS.ReadableStream) {
    const reader = createInterface({ input });
    reader.on('line', (line) => {
      if (this.#waiting !== undefined) {
        const resolve = this.#waiting;
        this.#waiting = undefined;
        resolve(line);
      } else {
        this.#lines.push(line);
      }
    });
  }

  close(reason: Error): void {
    this.#closed ??= reason;
    if (this.#waiting !== undefined) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve(reason);
    }
  }

  next(timeoutMs: number): Promise<string> {
    const queued = this.#lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting = (line) => {
        clearTimeout(timer);
        if (line instanceof Error) reject(line);
        else resolve(line);
      };
    });
  }
}

function parseLine(line: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`adapter wrote a line that is not JSON: ${JSON.stringify(line.slice(0, 80))} (write logs to stderr)`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`adapter wrote ${JSON.stringify(line.slice(0, 80))}, expected a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Starts the adapter, runs every case and returns the report. Adapter faults become failed cases, not exceptions. */
export async function runConformance(options: RunOptions): Promise<RunReport> {
  const child = spawn(options.command, [...options.args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: options.env ?? process.env,
  });
  const channel = new LineChannel(child.stdout);
  child.on('error', (error) => channel.close(new Error(`adapter could not start: ${error.message}`)));
  child.on('exit', (code, signal) => channel.close(new Error(`adapter exited (${signal ?? `code ${code}`})`)));
  child.stdin.on('error', () => undefined);
  const send = (message: unknown) => child.stdin.write(JSON.stringify(message) + '\n');

  const results: CaseResult[] = [];
  const record = (result: CaseResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  let implementation = 'unknown';
  let ops = new Set<string>();
  let fatal: string | undefined;
  try {
    send({ type: 'hello', protocol: PROTOCOL, version: PROTOCOL_VERSION });
    const hello = parseLine(await channel.next(options.timeoutMs));
    if (hello.type !== 'hello' || !Array.isArray(hello.ops)) throw new Error(`expected a hello reply with ops, got ${JSON.stringify(hello).slice(0, 120)}`);
    implementation = String(hello.implementation ?? 'unnamed');
    ops = new Set(hello.ops.map(String));
  } catch (error) {
    fatal = `hello failed: ${(error as Error).message}`;
  }

  for (const kitCase of options.cases) {
    if (fatal !== undefined) {
      record({ id: kitCase.id, passed: false, details: [fatal] });
      continue;
    }
    if (!ops.has(kitCase.op)) {
      record({ id: kitCase.id, passed: false, details: [`op "${kitCase.op}" is not in the ops list of the adapter's hello`] });
      continue;
    }
    try {
      await kitCase.prepare?.();
      send({ type: 'case', id: kitCase.id, op: kitCase.op, input: kitCase.input });
      let reply = parseLine(await channel.next(options.timeoutMs));
      if (reply.type === 'ready' && reply.id === kitCase.id && kitCase.onReady !== undefined) {
        await kitCase.onReady();
        reply = parseLine(await channel.next(options.timeoutMs));
      }
      if (reply.type !== 'result' || reply.id !== kitCase.id) {
        throw new Error(`expected {"type":"result","id":"${kitCase.id}"}, got ${JSON.stringify(reply).slice(0, 120)}`);
      }
      const actual = kitCase.observe === undefined ? reply.output : await kitCase.observe(reply.output);
      const details = differences(kitCase.expected, actual);
      record({ id: kitCase.id, passed: details.length === 0, details });
    } catch (error) {
      // A protocol fault ends the run: later replies could no longer be matched to cases.
      fatal = (error as Error).message;
      record({ id: kitCase.id, passed: false, details: [fatal] });
    } finally {
      await kitCase.cleanup?.().catch(() => undefined);
    }
  }
  child.stdin.end();
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
  const passed = results.filter((r) => r.passed).length;
  return { implementation, results, passed, failed: results.length - passed };
}
