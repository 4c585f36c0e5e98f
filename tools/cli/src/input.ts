import { readFile } from 'node:fs/promises';
import { UsageError, errorCode } from './errors.js';
import type { MessageSource } from './parse.js';

const LINE_FEED = 0x0a;

/**
 * Yields the messages of a source as raw bytes. Lines read with -l are split on
 * the line feed byte only, so any other byte, including a carriage return and
 * invalid UTF-8, is sent unchanged. A last line without a line feed is sent too.
 */
export async function* readMessages(
  source: MessageSource,
  stdin: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<Uint8Array> {
  switch (source.kind) {
    case 'message':
      yield new TextEncoder().encode(source.text);
      return;
    case 'null':
      yield new Uint8Array(0);
      return;
    case 'file':
      yield await readMessageFile(source.path);
      return;
    case 'stdin-all':
      yield await readAll(stdin);
      return;
    case 'stdin-lines':
      yield* splitLines(stdin);
      return;
  }
}

/** Reads the file given to -f; a file that cannot be read is a usage error. */
export async function readMessageFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read the file given to -f/--file '${path}' (${errorCode(error) ?? 'read failed'}); check the path`, {
      cause: error,
    });
  }
}

export async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(toBuffer(chunk));
  return Buffer.concat(chunks);
}

/** Splits a byte stream into lines on the line feed byte and yields each line without it. */
export async function* splitLines(stream: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
  let parts: Buffer[] = [];
  for await (const chunk of stream) {
    let buffer = toBuffer(chunk);
    let end = buffer.indexOf(LINE_FEED);
    while (end !== -1) {
      parts.push(buffer.subarray(0, end));
      // Buffer.concat copies, so each line owns its bytes while later chunks arrive.
      yield Buffer.concat(parts);
      parts = [];
      buffer = buffer.subarray(end + 1);
      end = buffer.indexOf(LINE_FEED);
    }
    if (buffer.length > 0) parts.push(buffer);
  }
  if (parts.length > 0) yield Buffer.concat(parts);
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
