/** The Node.js forms of the identity option: core forms plus the path of a .key file. */
import { E2eeError, type CryptoProvider, type KeyPair } from '@mqtt-e2ee/envelope';
import { readIdentityFile } from '@mqtt-e2ee/key-exchange/fs';
import { OptionFileError, OptionRangeError } from './core/errors.js';
import { isSecretKeyText, resolveKeyIdentity } from './core/keys.js';

/**
 * Resolves the identity option: a KeyPair (its public key must belong to its secret key), secret
 * key text, or the path of a .key file.
 */
export async function resolveIdentity(
  value: unknown,
  option: string,
  provider: CryptoProvider | undefined,
): Promise<KeyPair> {
  // A string that is not secret key text is the path of a key file.
  if (typeof value === 'string' && !isSecretKeyText(value)) {
    if (value.length === 0) {
      throw new OptionRangeError(option, 'a non-empty path or secret key text', value);
    }
    return readIdentity(value, option, provider);
  }
  return resolveKeyIdentity(value, option, provider);
}

async function readIdentity(
  path: string,
  option: string,
  provider: CryptoProvider | undefined,
): Promise<KeyPair> {
  try {
    return provider === undefined
      ? await readIdentityFile(path)
      : await readIdentityFile(path, provider);
  } catch (error) {
    // Typed key file errors (format, permissions, content) pass through; a missing or unreadable
    // file becomes an OptionFileError that names the option and the path.
    if (error instanceof E2eeError) throw error;
    throw new OptionFileError(option, path, error);
  }
}
