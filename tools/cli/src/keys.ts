import { readFile, stat } from 'node:fs/promises';
import {
  PUBLIC_KEY_PREFIX,
  SECRET_KEY_PREFIX,
  decodePublicKey,
  encodePublicKey,
  type KeyPair,
} from '@mqtt-e2ee/key-exchange';
import { MAX_KEY_FILE_BYTES, readIdentityFile, readPublicKeyFile } from '@mqtt-e2ee/key-exchange/fs';
import { UsageError, errorCode, oneLine } from './errors.js';

/** Reads the secret key file given to --identity; any problem with it is a usage error. */
export async function loadIdentity(rawPath: string): Promise<KeyPair> {
  const path = rawPath.trim();
  if (/^mqe2e-sk/i.test(path)) {
    throw new UsageError('--identity takes the path of a .key file, not the key text; pass e.g. --identity alice.key');
  }
  if (looksLikeKeyText(path) && !(await fileExists(path))) {
    // Not echoed: a bare 48-character key body may be a secret key without its prefix.
    throw new UsageError('--identity takes the path of a .key file, but got what looks like key text and no file of that name; pass e.g. --identity alice.key');
  }
  try {
    return await readIdentityFile(path);
  } catch (error) {
    // A group-readable .pub file would otherwise get the advice to chmod 600 it.
    if (await containsPublicKeyLine(path)) {
      throw new UsageError(`${path} contains a public key; pass the matching .key file to --identity`, { cause: error });
    }
    throw new UsageError(`cannot use --identity '${path}': ${describeKeyFileError(error)}`, { cause: error });
  }
}

/**
 * Resolves each --to or --from value to a public key line. A value is decoded as a key line when
 * it starts with the public key prefix, or when it looks like key text and names no file. Any
 * other value is the path of a .pub file.
 */
export async function resolvePublicKeys(flag: '--to' | '--from', values: readonly string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const value of values) keys.push(await resolvePublicKey(flag, value));
  return keys;
}

async function resolvePublicKey(flag: string, rawValue: string): Promise<string> {
  // Whitespace around a key, as from --to " $(cat bob.pub)", is never part of it.
  const value = rawValue.trim();
  if (/^mqe2e-sk/i.test(value)) {
    // The value is a secret key, so it is not echoed.
    throw new UsageError(`${flag} got a secret key (${SECRET_KEY_PREFIX}...); pass the public key line or the .pub file instead, and keep the secret key private`);
  }
  if (value.startsWith(PUBLIC_KEY_PREFIX) || (looksLikeKeyText(value) && !(await fileExists(value)))) {
    try {
      return encodePublicKey(decodePublicKey(value));
    } catch (error) {
      throw new UsageError(`invalid public key for ${flag}: ${oneLine(error)}`, { cause: error });
    }
  }
  try {
    return encodePublicKey(await readPublicKeyFile(value));
  } catch (error) {
    throw new UsageError(`cannot use ${flag} '${value}': ${describeKeyFileError(error)}`, { cause: error });
  }
}

/**
 * Resolves --to values with key exchange: a value that is key text or names a file is a public
 * key as in resolvePublicKeys, and any other value is a client id whose key the client discovers.
 */
export async function resolveRecipients(flag: '--to', values: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const raw of values) {
    const value = raw.trim();
    const isKey = /^mqe2e-/i.test(value) || (await fileExists(value));
    if (isKey) out.push(await resolvePublicKey(flag, value));
    else if (CLIENT_ID.test(value)) out.push(value);
    else throw new UsageError(`invalid value for ${flag}: '${value.slice(0, 80)}' is neither a client id, a key line nor a .pub file`);
  }
  return out;
}

const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Shortest run of base64url characters taken for key text without its prefix; a key body has 48. */
const MIN_BARE_KEY_LENGTH = 40;

/**
 * Returns whether `value` reads as key text rather than a file path: it starts with `mqe2e-` in
 * any case, or it is at least 40 base64url characters with no path separator or dot.
 */
function looksLikeKeyText(value: string): boolean {
  if (/^mqe2e-/i.test(value)) return true;
  return value.length >= MIN_BARE_KEY_LENGTH && /^[A-Za-z0-9_-]+$/.test(value);
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns whether the file at `path` contains a public key line, as a NAME.pub file does. The
 * bytes are zeroed afterwards, because the file may be a secret key file with loose permissions.
 */
async function containsPublicKeyLine(path: string): Promise<boolean> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_KEY_FILE_BYTES) return false;
    bytes = await readFile(path);
  } catch {
    return false;
  }
  const prefix = Buffer.from(PUBLIC_KEY_PREFIX, 'latin1');
  let found = false;
  for (let start = 0; start < bytes.length; ) {
    const end = bytes.indexOf(0x0a, start);
    const line = bytes.subarray(start, end === -1 ? bytes.length : end);
    const first = line.findIndex((byte) => byte !== 0x20 && byte !== 0x09 && byte !== 0x0d);
    if (first !== -1 && line.subarray(first, first + prefix.length).equals(prefix)) found = true;
    start = end === -1 ? bytes.length : end + 1;
  }
  bytes.fill(0);
  return found;
}

function describeKeyFileError(error: unknown): string {
  const code = errorCode(error);
  if (code === 'ENOENT') return "file not found; check the path, or create a key pair with 'mqtt-e2ee keygen -o NAME'";
  if (code === 'EACCES') return 'permission denied; check the file permissions';
  if (code === 'EISDIR') return 'it is a directory; pass the path of a key file';
  return oneLine(error);
}
