/**
 * Entry '@mqtt-e2ee/envelope/replay-file': a ReplayStore in a JSON Lines file, for Node.js only.
 *
 * File format, one JSON object per line:
 *   {"format":"mqtt-e2ee-replay","version":1}                      first line
 *   {"k":SESSION_KEY,"top":"DECIMAL","size":N,"bitmap":"HEX"}     one line per save
 * The last line of a session key wins. A save appends one line and, with sync 'fsync', calls
 * fsync before it returns. The file is rewritten without stale lines when it grows.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { checkInteger, checkString } from './bytes.js';
import { LruMap } from './identity.js';
import type { ReplaySnapshot } from './replay.js';
import { DEFAULT_MAX_STORED_SESSIONS, type ReplayStore } from './replay-store.js';

const HEADER = { format: 'mqtt-e2ee-replay', version: 1 } as const;
/** Appended lines tolerated beyond twice the live sessions before the file is rewritten. */
const COMPACT_SLACK = 1000;

/** Options of JsonFileReplayStore. */
export interface JsonFileReplayStoreOptions {
  /** Path of the store file. It is created when missing. */
  path: string;
  /**
   * 'fsync' (default) flushes every save to the disk, so the state survives power loss. 'none'
   * leaves the flush to the operating system, which survives a killed process but not power loss.
   */
  sync?: 'fsync' | 'none';
  /** Sessions kept. Beyond it the least recently saved session is dropped. Default 100000. */
  maxSessions?: number;
}

interface Line {
  k: string;
  top: string;
  size: number;
  bitmap: string;
}

/**
 * Replay store in a JSON Lines file. Only one process may use a file at a time. Loading a file
 * whose last line is cut off, as a crash during a write leaves it, drops that line: its message
 * was never delivered, because the save had not returned.
 */
export class JsonFileReplayStore implements ReplayStore {
  readonly path: string;
  readonly #sync: boolean;
  readonly #sessions: LruMap<string, ReplaySnapshot>;
  #fd: number;
  #lines = 0;

  constructor(options: JsonFileReplayStoreOptions) {
    this.path = checkString(options.path, 'path');
    const sync = options.sync ?? 'fsync';
    if (sync !== 'fsync' && sync !== 'none') throw new TypeError(`sync must be 'fsync' or 'none', got ${String(sync)}`);
    this.#sync = sync === 'fsync';
    const max = options.maxSessions ?? DEFAULT_MAX_STORED_SESSIONS;
    this.#sessions = new LruMap(checkInteger(max, 'maxSessions', 1, Number.MAX_SAFE_INTEGER));
    if (existsSync(this.path)) this.#read();
    this.#fd = this.#rewrite();
  }

  /** Number of sessions stored. */
  get size(): number {
    return this.#sessions.size;
  }

  load(sessionKey: string): ReplaySnapshot | undefined {
    const snapshot = this.#sessions.get(sessionKey);
    return snapshot === undefined ? undefined : { ...snapshot, bitmap: snapshot.bitmap.slice() };
  }

  save(sessionKey: string, snapshot: ReplaySnapshot): void {
    checkString(sessionKey, 'sessionKey');
    const copy = { top: snapshot.top, size: snapshot.size, bitmap: snapshot.bitmap.slice() };
    this.#append(encodeLine(sessionKey, copy));
    this.#sessions.set(sessionKey, copy);
    if (this.#lines > 2 * this.#sessions.size + COMPACT_SLACK) {
      closeSync(this.#fd);
      this.#fd = this.#rewrite();
    }
  }

  /** Closes the file. Later saves raise an error. */
  close(): void {
    closeSync(this.#fd);
    this.#fd = -1;
  }

  #append(text: string): void {
    if (this.#fd < 0) throw new Error(`JsonFileReplayStore for ${this.path} is closed`);
    writeSync(this.#fd, text);
    if (this.#sync) fsyncSync(this.#fd);
    this.#lines++;
  }

  #read(): void {
    const lines = readFileSync(this.path, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    lines.forEach((text, i) => {
      const last = i === lines.length - 1;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        // A cut-off last line is the trace of a crash during its write, which never returned.
        if (last && i > 0) return;
        throw new Error(`Replay store ${this.path} line ${i + 1} is not JSON: restore the file or delete it to start empty`, { cause: error });
      }
      if (i === 0) return checkHeader(parsed, this.path);
      const [key, snapshot] = decodeLine(parsed, `${this.path} line ${i + 1}`);
      this.#sessions.set(key, snapshot);
    });
  }

  /** Writes the live sessions to a temporary file, renames it over the store and returns an append descriptor. */
  #rewrite(): number {
    const temporary = `${this.path}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    let text = JSON.stringify(HEADER) + '\n';
    for (const [key, snapshot] of this.#sessions.entries()) text += encodeLine(key, snapshot);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, this.path);
    syncDirectory(dirname(this.path));
    this.#lines = this.#sessions.size;
    return openSync(this.path, 'a', 0o600);
  }
}

function encodeLine(key: string, snapshot: ReplaySnapshot): string {
  const line: Line = {
    k: key,
    top: snapshot.top.toString(),
    size: snapshot.size,
    bitmap: Buffer.from(snapshot.bitmap).toString('hex'),
  };
  return JSON.stringify(line) + '\n';
}

function checkHeader(parsed: unknown, path: string): void {
  const header = parsed as Partial<typeof HEADER> | null;
  if (header?.format !== HEADER.format || header.version !== HEADER.version) {
    throw new Error(`${path} is not an mqtt-e2ee replay store version 1: pass the path of a store file or a new path`);
  }
}

function decodeLine(parsed: unknown, where: string): [string, ReplaySnapshot] {
  const line = parsed as Partial<Line> | null;
  const valid =
    typeof line?.k === 'string' &&
    typeof line.top === 'string' &&
    /^(-1|0|[1-9][0-9]*)$/.test(line.top) &&
    typeof line.size === 'number' &&
    typeof line.bitmap === 'string' &&
    /^([0-9a-f]{2})*$/.test(line.bitmap) &&
    line.bitmap.length === 2 * Math.ceil(line.size / 8);
  if (!valid) throw new Error(`${where} is not a valid replay record: restore the file or delete it to start empty`);
  const bitmap = new Uint8Array(Buffer.from(line.bitmap as string, 'hex'));
  return [line.k as string, { top: BigInt(line.top as string), size: line.size as number, bitmap }];
}

/** Flushes a directory entry after a rename. Platforms that cannot open a directory skip it. */
function syncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // NOTE: Windows cannot fsync a directory; the rename is then as durable as the file system makes it.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
