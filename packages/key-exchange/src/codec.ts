/**
 * Byte strings that signatures cover, and strict readers for the JSON fields of signed records
 * (spec/key-exchange-v1.md, "Signed bytes"). Every signed byte string starts with a context label,
 * so a signature made for one record kind never verifies as another.
 */
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { KeyRecordError, type KeyRecordKind } from './errors.js';

/** Largest integer that records carry: 2^53 - 1, so that JSON numbers stay exact. */
export const MAX_RECORD_INTEGER = Number.MAX_SAFE_INTEGER;

/** Builds length-prefixed signed bytes from labelled parts. */
export class SignedBytesBuilder {
  readonly #parts: Uint8Array[] = [];

  constructor(context: string) {
    this.text(context);
  }

  /** Appends a UTF-8 string as uint16 length || bytes. */
  text(value: string): this {
    const bytes = utf8ToBytes(value);
    if (bytes.length > 0xffff) throw new RangeError(`signed text must be at most 65535 bytes, got ${bytes.length}`);
    this.#parts.push(uint16(bytes.length), bytes);
    return this;
  }

  /** Appends raw bytes as uint16 length || bytes. */
  bytes(value: Uint8Array): this {
    if (value.length > 0xffff) throw new RangeError(`signed bytes must be at most 65535 long, got ${value.length}`);
    this.#parts.push(uint16(value.length), value);
    return this;
  }

  /** Appends a non-negative integer as a big-endian uint64. */
  integer(value: number): this {
    this.#parts.push(uint64(value));
    return this;
  }

  build(): Uint8Array {
    return concatBytes(...this.#parts);
  }
}

export function uint16(value: number): Uint8Array {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}

export function uint64(value: number | bigint): Uint8Array {
  const big = BigInt(value);
  if (big < 0n || big > 0xffff_ffff_ffff_ffffn) throw new RangeError(`uint64 out of range: ${big}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, big);
  return out;
}

export { encodeBase64Url };

/** Reads the fields of one JSON record and raises KeyRecordError('malformed') naming the field. */
export class RecordReader {
  readonly #kind: KeyRecordKind;
  readonly #object: Record<string, unknown>;
  readonly #seen = new Set<string>();
  clientId: string | undefined;

  constructor(kind: KeyRecordKind, value: unknown, label: string = kind) {
    this.#kind = kind;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.error(`${label} must be a JSON object`);
    }
    this.#object = value as Record<string, unknown>;
  }

  /** Parses UTF-8 JSON text of at most `maxBytes` bytes. */
  static parse(kind: KeyRecordKind, payload: Uint8Array, maxBytes: number): unknown {
    if (payload.length > maxBytes) {
      throw new KeyRecordError(kind, 'malformed', undefined, `${kind} is ${payload.length} bytes, more than ${maxBytes}.`);
    }
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
    } catch (error) {
      throw new KeyRecordError(kind, 'malformed', undefined, `${kind} is not UTF-8 JSON.`, { cause: error });
    }
  }

  error(detail: string): KeyRecordError {
    const clientSuffix = this.clientId === undefined ? '' : ` of client ${JSON.stringify(this.clientId)}`;
    return new KeyRecordError(this.#kind, 'malformed', this.clientId, `Malformed ${this.#kind}${clientSuffix}: ${detail}.`);
  }

  #get(name: string): unknown {
    this.#seen.add(name);
    return this.#object[name];
  }

  has(name: string): boolean {
    return Object.hasOwn(this.#object, name);
  }

  string(name: string, pattern?: RegExp, maxLength = 1024): string {
    const value = this.#get(name);
    if (typeof value !== 'string') throw this.error(`field "${name}" must be a string, got ${describe(value)}`);
    if (value.length > maxLength) throw this.error(`field "${name}" must be at most ${maxLength} characters`);
    if (pattern !== undefined && !pattern.test(value)) {
      throw this.error(`field "${name}" has an invalid value ${JSON.stringify(value.slice(0, 80))}`);
    }
    return value;
  }

  integer(name: string): number {
    const value = this.#get(name);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw this.error(`field "${name}" must be a non-negative integer below 2^53, got ${describe(value)}`);
    }
    return value;
  }

  literal<T extends string | number>(name: string, expected: T): T {
    const value = this.#get(name);
    if (value !== expected) {
      throw this.error(`field "${name}" must be ${JSON.stringify(expected)}, got ${describe(value)}`);
    }
    return expected;
  }

  boolean(name: string): boolean {
    const value = this.#get(name);
    if (typeof value !== 'boolean') throw this.error(`field "${name}" must be true or false, got ${describe(value)}`);
    return value;
  }

  /** Reads base64url bytes of exactly `length` bytes. */
  bytes(name: string, length: number): Uint8Array {
    const text = this.string(name, /^[A-Za-z0-9_-]*$/, 4 * length);
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64Url(text);
    } catch (error) {
      throw this.error(`field "${name}" is not canonical base64url (${(error as Error).message})`);
    }
    if (bytes.length !== length) throw this.error(`field "${name}" must hold ${length} bytes, got ${bytes.length}`);
    return bytes;
  }

  /** Reads a key text field with `decode`, turning its KeyFormatError into a malformed-record error. */
  key(name: string, decode: (text: string) => Uint8Array): Uint8Array {
    const text = this.string(name, undefined, 64);
    try {
      return decode(text);
    } catch (error) {
      throw this.error(`field "${name}": ${(error as Error).message}`);
    }
  }

  array(name: string, maxItems: number, optional = false): unknown[] {
    if (optional && !this.has(name)) {
      this.#seen.add(name);
      return [];
    }
    const value = this.#get(name);
    if (!Array.isArray(value)) throw this.error(`field "${name}" must be an array, got ${describe(value)}`);
    if (value.length > maxItems) throw this.error(`field "${name}" must have at most ${maxItems} items, got ${value.length}`);
    return value;
  }

  /** Rejects fields that were not read, so a record cannot carry unsigned extras. */
  finish(): void {
    const extra = Object.keys(this.#object).filter((name) => !this.#seen.has(name));
    if (extra.length > 0) throw this.error(`unknown field ${JSON.stringify(extra[0])}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/** Encodes a record object as UTF-8 JSON. */
export function encodeRecord(record: object): Uint8Array {
  return utf8ToBytes(JSON.stringify(record));
}
