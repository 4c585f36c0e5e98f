/** Identity, peer and public key inputs, decoded with @mqtt-e2ee/key-exchange. */
import { keyIdHex, keyPairFromSecretKey, type CryptoProvider, type KeyPair } from '@mqtt-e2ee/envelope';
import {
  decodeSecretKey,
  encodePublicKey,
  KeyFormatError,
  PeerDirectory,
  SECRET_KEY_PREFIX,
  toPublicKey,
  type PublicKeyInput,
} from '@mqtt-e2ee/key-exchange';
import { Described, InvalidOptionError, OptionRangeError } from './errors.js';
import { bytesEqual, toHex } from './bytes.js';

export type { PublicKeyInput };

/** Looks up candidate sender public keys by key id, as EnvelopeOpener's `resolveSender`. */
export interface SenderResolver {
  resolveSender(keyId: Uint8Array): Uint8Array[];
  /**
   * Returns a number that changes whenever the results of resolveSender may change. Absent when
   * the source gives no such number, so every message is looked up.
   */
  revision?: () => number;
}

/** Key helpers the client needs, bundled so that requests and the receiver share one set. */
export interface KeyCodec {
  decodePublicKeyInput(input: unknown, option: string): Uint8Array;
  encodePublicKey(publicKey: Uint8Array): string;
  keyIdHex(publicKey: Uint8Array): string;
}

const PUBLIC_KEY_EXPECTED = "a public key text ('mqe2e-pk1-…') or 32 raw bytes";

/** Maximum number of entries in each cache of the shared codec. A full cache is cleared. */
const KEY_CACHE_LIMIT = 1024;

/**
 * Returns a KeyCodec that remembers decoded and encoded public keys. Key text carries a SHA-256
 * checksum and every key is checked again on the way in and out, so without the cache every
 * publish and every received message would pay for a hash and a check.
 */
function cachingKeyCodec(): KeyCodec {
  const decoded = new Map<string, Uint8Array>();
  const encoded = new Map<string, string>();
  // The last raw key decoded, because a publisher mostly repeats one recipient. It is compared by
  // content, since the caller may have changed the bytes since the last call.
  let lastRaw: Uint8Array | undefined;
  return {
    decodePublicKeyInput(input: unknown, option: string): Uint8Array {
      if (input instanceof Uint8Array && lastRaw !== undefined && bytesEqual(input, lastRaw)) return lastRaw.slice();
      const cacheKey = inputCacheKey(input);
      const hit = cacheKey === undefined ? undefined : decoded.get(cacheKey);
      if (hit !== undefined) {
        if (input instanceof Uint8Array) lastRaw = hit.slice();
        return hit.slice();
      }
      const publicKey = decodePublicKeyInput(input, option);
      if (cacheKey !== undefined) remember(decoded, cacheKey, publicKey.slice());
      if (input instanceof Uint8Array) lastRaw = publicKey.slice();
      return publicKey;
    },
    encodePublicKey(publicKey: Uint8Array): string {
      const cacheKey = publicKey instanceof Uint8Array && publicKey.length === 32 ? toHex(publicKey) : undefined;
      const hit = cacheKey === undefined ? undefined : encoded.get(cacheKey);
      if (hit !== undefined) return hit;
      const text = encodePublicKey(publicKey);
      if (cacheKey !== undefined) remember(encoded, cacheKey, text);
      return text;
    },
    keyIdHex,
  };
}

/** Returns the cache key of a public key input, or undefined for input that cannot be a key. */
function inputCacheKey(input: unknown): string | undefined {
  if (typeof input === 'string') return input;
  if (input instanceof Uint8Array && input.length === 32) return `raw:${toHex(input)}`;
  return undefined;
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= KEY_CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

export const keyCodec: KeyCodec = cachingKeyCodec();

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

/** Returns true when `value` is a string with the secret key text prefix. */
export function isSecretKeyText(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(SECRET_KEY_PREFIX);
}

/**
 * Resolves an identity given as a KeyPair (its public key must belong to its secret key) or as
 * secret key text. Platform entries handle other forms, such as a key file path, before this.
 */
export function resolveKeyIdentity(
  value: unknown,
  option: string,
  provider: CryptoProvider | undefined,
): KeyPair {
  if (typeof value === 'string' && isSecretKeyText(value)) {
    return fromSecretKey(decodeSecretKeyText(value, option), provider);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(option, 'a KeyPair or secret key text', value);
  }
  const { secretKey, publicKey } = value as Partial<KeyPair>;
  checkRawKey(secretKey, `${option}.secretKey`);
  checkRawKey(publicKey, `${option}.publicKey`);
  const pair = fromSecretKey(secretKey, provider);
  if (!bytesEqual(pair.publicKey, publicKey)) {
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

/** Resolves the peers option: a PeerDirectory, used live, or a list of public keys. */
export function resolvePeers(value: unknown, option: string): SenderResolver {
  if (value === undefined) return { resolveSender: () => [] };
  // Checked by shape as well as by class, so a PeerDirectory from another copy of the package works.
  if (
    value instanceof PeerDirectory ||
    typeof (value as { resolve?: unknown } | null)?.resolve === 'function'
  ) {
    const directory = value as Pick<PeerDirectory, 'resolve'>;
    const resolver: SenderResolver = { resolveSender: (keyId) => directory.resolve(keyId) };
    // Only a PeerDirectory of this package is known to count its changes in `revision`. Any
    // other object, such as one from another copy of the package or a wrapper, is looked up on
    // every message.
    if (value instanceof PeerDirectory) resolver.revision = () => value.revision;
    return resolver;
  }
  if (!Array.isArray(value)) {
    throw new InvalidOptionError(option, 'a PeerDirectory or an array of public keys', value);
  }
  const directory = new PeerDirectory();
  value.forEach((input: unknown, index) =>
    directory.addPeer(decodePublicKeyInput(input, `${option}[${index}]`)),
  );
  // The list is copied into a directory that nothing else can change.
  return { resolveSender: (keyId) => directory.resolve(keyId), revision: () => 0 };
}
