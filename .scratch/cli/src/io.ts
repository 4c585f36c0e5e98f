import { redactSecrets } from './errors.js';

/** Streams and signals a command runs with; tests pass their own. */
export interface CommandIo {
  stdin: AsyncIterable<Uint8Array | string>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Aborted on SIGINT or SIGTERM: `sub` then disconnects and exits with status 0. */
  signal?: AbortSignal;
}

/** Writes diagnostics to stderr with the command name as prefix. */
export class Reporter {
  readonly #stderr: NodeJS.WritableStream;
  readonly #prefix: string;
  readonly #debug: boolean;

  constructor(stderr: NodeJS.WritableStream, command: string, debug: boolean) {
    this.#stderr = stderr;
    this.#prefix = `mqtt-e2ee ${command}`;
    this.#debug = debug;
  }

  /** Prints a line that the user must see, such as a rejected message or an error. */
  error(message: string): void {
    this.#stderr.write(redactSecrets(`${this.#prefix}: ${message}\n`));
  }

  /** Prints a line only with -d. Callers pass topics, ids and sizes, never payloads, keys or passwords. */
  debug(message: string | (() => string)): void {
    if (!this.#debug) return;
    const text = typeof message === 'function' ? message() : message;
    this.#stderr.write(redactSecrets(`${this.#prefix}: debug: ${text}\n`));
  }
}

/** Resolves once everything written to `stream` so far has been handed to the OS. */
export async function flush(stream: NodeJS.WritableStream): Promise<void> {
  await new Promise<void>((resolve) => {
    stream.write('', () => resolve());
  });
}
