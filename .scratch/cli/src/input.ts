import { readFile, stat } from 'node:fs/promises';
import { AEAD_TAG_LENGTH, HEADER_LENGTH } from '@mqtt-e2ee/envelope';
import { UsageError, errorCode } from './errors.js';
import type { MessageSource } from './parse.js';

const LINE_FEED = 0x0a;

/**
 * Largest Remaining Length of an MQTT packet, 268,435,455 bytes (MQTT 3.1.1 section 2.2.3,
 * MQTT 5.0 section 1.5.5). The topic and the whole envelope of one PUBLISH must fit in it.
 */
export const MQTT_MAX_PACKET_BYTES = 268_435_455;

/** Bytes every envelope adds to its plaintext: the 60-byte header and the 16-byte Poly1305 tag. */
export const ENVELOPE_OVERHEAD_BYTES = HEADER_LENGTH + AEAD_TAG_LENGTH;

/** Largest plaintext that can fit in one MQTT packet once encrypted, before the topic is counted. */
export const MAX_PLAINTEXT_BYTES = MQTT_MAX_PACKET_BYTES - ENVELOPE_OVERHEAD_BYTES;

/**
 * Builds the error text for a message too large for MQTT. `source` names the message, such as
 * "-f/--file 'fw.bin'", and `size` states its size, such as "314,572,800 bytes".
 */
export function tooLargeText(source: string, size: string): string {
  return (
    `${source} is ${size}, too large for one MQTT message: an MQTT packet carries at most ` +
    `${formatBytes(MQTT_MAX_PACKET_BYTES)} bytes, including the topic and ${ENVELOPE_OVERHEAD_BYTES} bytes of ` +
    "encryption overhead; split the data into parts (for a file, for example with 'split -b 100M FILE FILE.part-') " +
    'and send each part as its own message'
  );
}

/** Formats a byte count with thousands separators, such as 268,435,455. */
export function formatBytes(bytes: number): string {
  return bytes.toLocaleString('en-US');
}

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
      yield await readAll(stdin, MAX_PLAINTEXT_BYTES);
      return;
    case 'stdin-lines':
      yield* splitLines(stdin);
      return;
  }
}

/**
 * Reads the file given to -f; a file that cannot be read is a usage error. The size is checked
 * with stat first, so that a file too large for MQTT is rejected without reading it into memory.
 */
export async function readMessageFile(path: string): Promise<Uint8Array> {
  try {
    const { size } = await stat(path);
    if (size > MAX_PLAINTEXT_BYTES) {
      throw new UsageError(tooLargeText(`-f/--file '${path}'`, `${formatBytes(size)} bytes`));
    }
    return await readFile(path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read the file given to -f/--file '${path}' (${errorCode(error) ?? 'read failed'}); check the path`, {
      cause: error,
    });
  }
}

/** Reads a whole stream. Reading stops with a usage error once more than `maxBytes` arrived. */
export async function readAll(stream: AsyncIterable<Uint8Array | string>, maxBytes = Infinity): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = toBuffer(chunk);
    total += buffer.length;
    if (total > maxBytes) throw new UsageError(tooLargeText('stdin (-s)', `more than ${formatBytes(maxBytes)} bytes`));
    chunks.push(buffer);
  }
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
