/** Identity, peer and public key inputs, decoded with @mqtt-e2ee/key-exchange. */
import { Buffer } from 'node:buffer';
import {
  E2eeError,
  keyIdHex,
  keyPairFromSecretKey,
  type CryptoProvider,
  type KeyPair,
} from '@mqtt-e2ee/envelope';
import {
  decodeSecretKey,
  encodePublicKey,
  KeyFormatError,
  PeerDirectory,
  SECRET_KEY_PREFIX,
  toPublicKey,
  type PublicKeyInput,
} from '@mqtt-e2ee/key-exchange';
import { readIdentityFile } from '@mqtt-e2ee/key-exchange/fs';
import { Described, InvalidOptionError, OptionFileError, OptionRangeError } from './errors.js';

export type { PublicKeyInput };

/** Looks up candidate sender public keys by key id, as EnvelopeOpener's `resolveSender`. */
export interface SenderResolver {
  resolveSender(keyId: Uint8Array): Uint8Array[];
}

/** Key helpers the client needs, bundled so that requests and the receiver share one set. */
export interface KeyCodec {
  decodePublicKeyInput(input: unknown, option: string): Uint8Array;
  encodePublicKey(publicKey: Uint8Array): string;
  keyIdHex(publicKey: Uint8Array): string;
}

const PUBLIC_KEY_EXPECTED = "a public key text ('mqe2e-pk1-…') or 32 raw bytes";

export const keyCodec: KeyCodec = {
  decodePublicKeyInput,
  encodePublicKey,
  keyIdHex,
};

/** Decodes a public key given as key text or raw bytes, naming the option on failure. */
export function decodePublicKeyInput(input: unknown, option: string): Uint8Array {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new InvalidOptionError(option, PUBLIC_KEY_EXPECTED, input);
  }
  try {
    return toPublicKey(input);
  } catch (error) {
    if (!(error instanceof KeyFormatError)) throw error;
    // The KeyFormatError message names what is wrong with the key and never echoes key text.
    throw new OptionRangeError(
      option,
      `${PUBLIC_KEY_EXPECTED} (${error.message.replace(/\.$/, '')})`,
      input,
      {
        cause: error,
      },
    );
  }
}

/**
 * Resolves the identity option: a KeyPair (its public key must belong to its secret key), secret
 * key text, or the path of a .key file.
 */
export async function resolveIdentity(
  value: unknown,
  option: string,
  provider: CryptoProvider | undefined,
): Promise<KeyPair> {
  if (typeof value === 'string') {
    if (value.startsWith(SECRET_KEY_PREFIX)) {
      return fromSecretKey(decodeSecretKeyText(value, option), provider);
    }
    if (value.length === 0) {
      throw new OptionRangeError(option, 'a non-empty path or secret key text', value);
    }
    return readIdentity(value, option, provider);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(option, 'a KeyPair, secret key text or a .key file path', value);
  }
  const { secretKey, publicKey } = value as Partial<KeyPair>;
  checkRawKey(secretKey, `${option}.secretKey`);
  checkRawKey(publicKey, `${option}.publicKey`);
  const pair = fromSecretKey(secretKey, provider);
  if (!Buffer.from(pair.publicKey).equals(Buffer.from(publicKey))) {
    throw new OptionRangeError(
      `${option}.publicKey`,
      `the public key of ${option}.secretKey`,
      new Described('the public key of another secret key'),
    );
  }
  return pair;
}

function checkRawKey(key: unknown, option: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw new InvalidOptionError(option, 'a Uint8Array', key);
  if (key.length !== 32) throw new OptionRangeError(option, '32 bytes long', key);
}

function decodeSecretKeyText(text: string, option: string): Uint8Array {
  try {
    return decodeSecretKey(text);
  } catch (error) {
    if (!(error instanceof KeyFormatError)) throw error;
    throw new OptionRangeError(
      option,
      `valid secret key text (${error.message.replace(/\.$/, '')})`,
      text,
      {
        cause: error,
      },
    );
  }
}

function fromSecretKey(secretKey: Uint8Array, provider: CryptoProvider | undefined): KeyPair {
  return provider === undefined
    ? keyPairFromSecretKey(secretKey)
    : keyPairFromSecretKey(secretKey, provider);
}

async function readIdentity(
  path: string,
  option: string,
  provider: CryptoProvider | undefined,
): Promise<KeyPair> {
  let identity: KeyPair;
  try {
    identity =
      provider === undefined
        ? await readIdentityFile(path)
        : await readIdentityFile(path, provider);
  } catch (error) {
    // Typed key file errors (format, permissions, content) pass through; a missing or unreadable
    // file becomes an OptionFileError that names the option and the path.
    if (error instanceof E2eeError) throw error;
    throw new OptionFileError(option, path, error);
  }
  return identity;
}

/** Resolves the peers option: a PeerDirectory, used live, or a list of public keys. */
export function resolvePeers(value: unknown, option: string): SenderResolver {
  if (value === undefined) return { resolveSender: () => [] };
  // Checked by shape as well as by class, so a PeerDirectory from another copy of the package works.
  if (
    value instanceof PeerDirectory ||
    typeof (value as { resolve?: unknown } | null)?.resolve === 'function'
  ) {
    const directory = value as Pick<PeerDirectory, 'resolve'>;
    return { resolveSender: (keyId) => directory.resolve(keyId) };
  }
  if (!Array.isArray(value)) {
    throw new InvalidOptionError(option, 'a PeerDirectory or an array of public keys', value);
  }
  const directory = new PeerDirectory();
  value.forEach((input: unknown, index) =>
    directory.addPeer(decodePublicKeyInput(input, `${option}[${index}]`)),
  );
  return { resolveSender: (keyId) => directory.resolve(keyId) };
}
