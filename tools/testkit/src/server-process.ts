/**
 * Start-up shared by the broker binaries the tests run (Mosquitto, nats-server): find the binary,
 * spawn it with a generated config, wait until its ports accept TCP connections and retry with new
 * ports when another process took one between freePort() and the bind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { waitForPort } from './net.js';

/** Returns the binary named by the environment variable when set, otherwise the first candidate path that exists. */
export function findBinary(variable: string, candidates: readonly string[]): string | undefined {
  const fromEnv = process.env[variable];
  if (fromEnv !== undefined && fromEnv !== '') {
    return existsSync(fromEnv) ? fromEnv : undefined;
  }
  return candidates.find((path) => existsSync(path));
}

/** One attempt's config file and the loopback ports that must accept connections before it counts as started. */
export interface ServerAttempt {
  readonly configPath: string;
  readonly ports: readonly number[];
}

export interface ServerSpec {
  /** Name used in error messages, such as 'Mosquitto'. */
  readonly label: string;
  readonly binary: string;
  readonly attempts: number;
  readonly startTimeoutMs: number;
  /** Time between SIGTERM and SIGKILL when stopping. */
  readonly killAfterMs: number;
  /** Picks ports and writes the config for one attempt. */
  prepare(attempt: number): Promise<ServerAttempt>;
}

export interface RunningServer {
  /** Output of the process so far, for failure messages. */
  log(): string;
  /** Stops the process: SIGTERM, then SIGKILL after `killAfterMs`. */
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}

async function attemptStart(spec: ServerSpec, attempt: ServerAttempt): Promise<RunningServer> {
  const child = spawn(spec.binary, ['-c', attempt.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const exitError = (): Error | undefined => {
    if (spawnError !== undefined) {
      return new Error(`Failed to start ${spec.binary}: ${spawnError.message}`, { cause: spawnError });
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      const status = child.exitCode !== null ? `code ${child.exitCode}` : `signal ${String(child.signalCode)}`;
      return new Error(`${spec.label} exited with ${status} during startup. Log:\n${output.join('')}`);
    }
    return undefined;
  };
  try {
    for (const port of attempt.ports) {
      await waitForPort('127.0.0.1', port, spec.startTimeoutMs, exitError);
    }
  } catch (error) {
    await stopChild(child, spec.killAfterMs);
    throw error;
  }
  return { log: () => output.join(''), stop: () => stopChild(child, spec.killAfterMs) };
}

/** Starts the server, trying up to `spec.attempts` times with the ports each `prepare` call picks. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < spec.attempts; attempt++) {
    try {
      return await attemptStart(spec, await spec.prepare(attempt));
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`${spec.label} did not start after ${spec.attempts} attempts`, { cause: lastError });
}
