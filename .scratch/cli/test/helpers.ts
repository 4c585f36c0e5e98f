import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reachable, realMosquittoUrl } from '@mqtt-e2ee/testkit';

/** The built command; the tests run it as a child process, as a user would. */
export const CLI_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

if (!existsSync(CLI_MAIN)) {
  throw new Error(`${CLI_MAIN} is missing; run 'pnpm build' at the repository root before these tests`);
}

/**
 * Checks the shared Mosquitto (127.0.0.1:1883 unless MQTT_E2EE_TEST_MOSQUITTO_URL names another
 * loopback URL). Returns a skip reason when it is down,
 * unless REQUIRE_MOSQUITTO=1 turns the missing broker into a failure.
 */
export async function mosquittoSkipReason(): Promise<string | undefined> {
  if (await reachable(realMosquittoUrl)) return undefined;
  if (process.env['REQUIRE_MOSQUITTO'] === '1') {
    throw new Error(`REQUIRE_MOSQUITTO=1 but no broker accepts connections at ${realMosquittoUrl}`);
  }
  return `no broker reachable at ${realMosquittoUrl}; set REQUIRE_MOSQUITTO=1 to fail instead`;
}

/** Returns a unique topic prefix, so that parallel runs on the shared broker do not see each other. */
export function uniquePrefix(name: string): string {
  return `mqtt-e2ee-test/${name}-${randomBytes(6).toString('hex')}`;
}

/** A child process with its output collected as bytes. */
export class Child {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  #stdout: Buffer[] = [];
  #stderr: Buffer[] = [];
  #waiters: (() => void)[] = [];

  constructor(command: string, args: readonly string[], cwd?: string) {
    this.process = spawn(command, [...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stdout?.on('data', (chunk: Buffer) => this.#collect(this.#stdout, chunk));
    this.process.stderr?.on('data', (chunk: Buffer) => this.#collect(this.#stderr, chunk));
    this.exited = new Promise((resolve, reject) => {
      this.process.once('error', reject);
      this.process.once('close', (code) => {
        this.#notify();
        resolve(code);
      });
    });
  }

  get stdout(): Buffer {
    return Buffer.concat(this.#stdout);
  }

  get stderr(): string {
    return Buffer.concat(this.#stderr).toString('utf8');
  }

  /** Writes `input` to stdin and closes it. */
  finishInput(input: Uint8Array | string): void {
    this.process.stdin?.end(input);
  }

  /** Resolves once `check` returns true for the collected output; rejects after `timeoutMs`. */
  async waitFor(what: string, check: (child: Child) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this)) {
      if (this.process.exitCode !== null) {
        throw new Error(`process exited with ${this.process.exitCode} before ${what}; stderr: ${this.stderr}`);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
  }

  #collect(target: Buffer[], chunk: Buffer): void {
    target.push(chunk);
    this.#notify();
  }

  #notify(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

/** Tracks children so that afterEach can kill every one that is still running. */
export class Children {
  readonly #all: Child[] = [];

  cli(args: readonly string[], cwd?: string): Child {
    return this.spawn(process.execPath, [CLI_MAIN, ...args], cwd);
  }

  spawn(command: string, args: readonly string[], cwd?: string): Child {
    const child = new Child(command, args, cwd);
    this.#all.push(child);
    return child;
  }

  killAll(): void {
    for (const child of this.#all.splice(0)) child.kill();
  }
}

/** Counts the non-overlapping occurrences of `needle` in `haystack`. */
export function countOccurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  let index = haystack.indexOf(needle);
  while (index !== -1) {
    count += 1;
    index = haystack.indexOf(needle, index + needle.length);
  }
  return count;
}
