import {
  PUBLIC_KEY_PREFIX,
  SECRET_KEY_PREFIX,
  decodePublicKey,
  encodePublicKey,
  type KeyPair,
} from '@mqtt-e2ee/key-exchange';
import { readIdentityFile, readPublicKeyFile } from '@mqtt-e2ee/key-exchange/fs';
import { UsageError, errorCode, oneLine } from './errors.js';

/** Reads the secret key file given to --identity; any problem with it is a usage error. */
export async function loadIdentity(path: string): Promise<KeyPair> {
  if (path.startsWith(SECRET_KEY_PREFIX)) {
    throw new UsageError('--identity takes the path of a .key file, not the key text; pass e.g. --identity alice.key');
  }
  try {
    return await readIdentityFile(path);
  } catch (error) {
    throw new UsageError(`cannot use --identity '${path}': ${describeKeyFileError(error)}`, { cause: error });
  }
}

/**
 * Resolves each --to or --from value to a public key line. A value that starts with
 * the public key prefix is decoded as a key line; any other value is the path of a .pub file.
 */
export async function resolvePublicKeys(flag: '--to' | '--from', values: readonly string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const value of values) keys.push(await resolvePublicKey(flag, value));
  return keys;
}

async function resolvePublicKey(flag: string, value: string): Promise<string> {
  if (value.startsWith(SECRET_KEY_PREFIX)) {
    // The value is a secret key, so it is not echoed.
    throw new UsageError(`${flag} got a secret key (${SECRET_KEY_PREFIX}...); pass the public key line or the .pub file instead, and keep the secret key private`);
  }
  if (value.startsWith(PUBLIC_KEY_PREFIX)) {
    try {
      return encodePublicKey(decodePublicKey(value.trim()));
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

function describeKeyFileError(error: unknown): string {
  const code = errorCode(error);
  if (code === 'ENOENT') return "file not found; check the path, or create a key pair with 'mqtt-e2ee keygen -o NAME'";
  if (code === 'EACCES') return 'permission denied; check the file permissions';
  if (code === 'EISDIR') return 'it is a directory; pass the path of a key file';
  return oneLine(error);
}
