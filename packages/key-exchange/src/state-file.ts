/**
 * Key exchange state file (Node.js only): pins, accepted announcements, revocations, own retired
 * keys and group epochs, as JSON beside the identity (BASE.state.json, mode 0600). Each save
 * writes a temp file and renames it, so a crash leaves either the old or the new state.
 */
import { open } from 'node:fs/promises';
import type { KeyExchangeState } from './state.js';
import { isErrnoException, writeFileAtomic } from './atomic-file.js';
import { KeyFileError, KeyFilePermissionError } from './errors.js';
import { decodeReplayWindow } from './group-replay-state.js';

export type { KeyExchangeState };

/** Largest state file read, in bytes. */
export const MAX_STATE_FILE_BYTES = 16 * 1024 * 1024;

/** Path of the state file for the identity files BASE.key and BASE.pub. */
export function stateFilePath(basePath: string): string {
  return `${basePath}.state.json`;
}

/**
 * Reads a state file, or returns undefined when it does not exist. Like a secret key file, it
 * must not be accessible to group or others, because it contains retired keys and epoch secrets.
 */
export async function readStateFile(path: string): Promise<KeyExchangeState | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new KeyFileError(path, 'not-a-file', `State file ${path} is not a regular file.`);
    if (info.size > MAX_STATE_FILE_BYTES) {
      throw new KeyFileError(path, 'too-large', `State file ${path} is ${info.size} bytes, more than ${MAX_STATE_FILE_BYTES}.`);
    }
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) throw new KeyFilePermissionError(path, info.mode);
    const text = await handle.readFile('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new KeyFileError(path, 'content', `State file ${path} is not valid JSON: move it away to start with empty state.`, { cause: error });
    }
    if (typeof value !== 'object' || value === null || (value as { v?: unknown }).v !== 1) {
      throw new KeyFileError(path, 'content', `State file ${path} is not version 1 key exchange state: move it away to start with empty state.`);
    }
    checkReceivedEpochs(path, value);
    return value as KeyExchangeState;
  } finally {
    await handle.close();
  }
}

/** Checks the seq and replay window fields of received group epochs, so that a bad one raises KeyFileError naming the file. */
function checkReceivedEpochs(path: string, state: object): void {
  const epochs = (state as { groupsReceived?: { epochs?: unknown } }).groupsReceived?.epochs;
  if (!Array.isArray(epochs)) return;
  epochs.forEach((saved: unknown, index) => {
    if (typeof saved !== 'object' || saved === null) return;
    try {
      decodeReplayWindow(saved, `groupsReceived.epochs[${index}]`);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new KeyFileError(path, 'content', `State file ${path}: ${error.message}.`, { cause: error });
    }
  });
}

/** Writes a state file atomically with mode 0600. */
export async function writeStateFile(path: string, state: KeyExchangeState): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(state, null, 1)}\n`, 0o600, true);
}

/**
 * Serializes saves of one state file: a save requested while another runs is merged into one
 * more write of the newest state, so writes never interleave and the last state always lands.
 */
export class StateFileWriter {
  readonly path: string;
  readonly #collect: () => KeyExchangeState;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(path: string, collect: () => KeyExchangeState) {
    this.path = path;
    this.#collect = collect;
  }

  /** Schedules a save of the current state and resolves when a write that includes it finished. */
  save(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      await writeStateFile(this.path, this.#collect());
    } while (this.#again);
  }
}
