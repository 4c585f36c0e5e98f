/**
 * File keystore (Node.js only): NAME.key contains the secret key text and must have mode 0600,
 * NAME.pub contains the public key text. Both are one key line followed by a newline.
 */
import { open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { existsError, pathExists, writeFileAtomic } from './atomic-file.js';
import { nobleProvider, type CryptoProvider, type KeyPair } from '@mqtt-e2ee/envelope';
import { KeyFileError, KeyFilePermissionError, KeyFormatError } from './errors.js';
import {
  generateDeviceIdentity,
  generateIdentity,
  hasSigningKey,
  identityFromSecretKeyText,
  keyIdHex,
  publicKeyText,
  secretKeyText,
  type DeviceIdentity,
} from './identity.js';
import { SIGNING_PUBLIC_KEY_PREFIX, SIGNING_SECRET_KEY_PREFIX, decodePublicKey } from './keytext.js';
import { PeerDirectory } from './peers.js';
import {
  decodeAnchorPublicKey,
  decodeAnchorSecretKey,
  decodeSigningPublicKey,
  decodeSigningSecretKey,
  encodeAnchorPublicKey,
  encodeAnchorSecretKey,
  encodeSigningPublicKey,
  encodeSigningSecretKey,
  generateSigningKeyPair,
  type SigningKeyPair,
} from './signing.js';

/** Largest key or peer file that is read, in bytes. A key line is 58 bytes. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

export interface WriteIdentityOptions {
  /** Identity to store. A new one is generated when omitted. */
  readonly identity?: KeyPair;
  /** Replace existing NAME.key and NAME.pub files. Default false: existing files raise KeyFileError. */
  readonly overwrite?: boolean;
  readonly provider?: CryptoProvider;
}

export interface IdentityFiles {
  readonly identity: KeyPair;
  readonly keyId: string;
  readonly secretKeyPath: string;
  readonly publicKeyPath: string;
}

function identityPaths(basePath: string): { secretKeyPath: string; publicKeyPath: string } {
  if (typeof basePath !== 'string' || basePath === '') {
    throw new TypeError('basePath must be a non-empty string such as "keys/alice"');
  }
  if (basePath.endsWith('.key') || basePath.endsWith('.pub')) {
    throw new KeyFileError(
      basePath,
      'path',
      `basePath ${basePath} must not end in .key or .pub: pass "${basePath.slice(
        0,
        -4,
      )}" and both files are named from it.`,
    );
  }
  return { secretKeyPath: `${basePath}.key`, publicKeyPath: `${basePath}.pub` };
}

/**
 * Writes BASE.key (secret key text, mode 0600) and BASE.pub (public key text) atomically.
 * Without `overwrite`, raises KeyFileError if either file exists and leaves both untouched.
 */
export async function writeIdentityFiles(
  basePath: string,
  options: WriteIdentityOptions = {},
): Promise<IdentityFiles> {
  const { secretKeyPath, publicKeyPath } = identityPaths(basePath);
  const overwrite = options.overwrite === true;
  const identity = options.identity ?? generateIdentity(options.provider ?? nobleProvider);
  // An identity with a signing key gets a second line in each file; files of identities
  // without one keep the single-line format of earlier versions.
  const signing = hasSigningKey(identity) ? identity.signing : undefined;
  const publicLine =
    `${publicKeyText(identity)}\n` + (signing ? `${encodeSigningPublicKey(signing.publicKey)}\n` : '');
  const secretLines =
    `${secretKeyText(identity)}\n` + (signing ? `${encodeSigningSecretKey(signing.secretKey)}\n` : '');
  if (!overwrite) {
    for (const path of [secretKeyPath, publicKeyPath]) {
      if (await pathExists(path)) throw existsError(path);
    }
  }
  await writeFileAtomic(secretKeyPath, secretLines, 0o600, overwrite);
  try {
    await writeFileAtomic(publicKeyPath, publicLine, 0o644, overwrite);
  } catch (error) {
    // Keep the pair consistent: without a .pub file, remove the .key file written just now.
    if (!overwrite) await unlink(secretKeyPath).catch(() => undefined);
    throw error;
  }
  return { identity, keyId: keyIdHex(identity), secretKeyPath, publicKeyPath };
}

/** Reads a small regular file, checking its size (and, for secret keys, its mode) on the open handle. */
async function readKeyFile(path: string, secret: boolean): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new KeyFileError(path, 'not-a-file', `Key file ${path} is not a regular file.`);
    }
    if (info.size > MAX_KEY_FILE_BYTES) {
      throw new KeyFileError(
        path,
        'too-large',
        `Key file ${path} is ${info.size} bytes, more than the ${MAX_KEY_FILE_BYTES} bytes a key file may have.`,
      );
    }
    // NOTE: Windows reports no group or other permission bits, so the mode check is skipped there.
    if (secret && process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new KeyFilePermissionError(path, info.mode);
    }
    const bytes = await handle.readFile();
    const text = bytes.toString('utf8');
    bytes.fill(0);
    return text;
  } finally {
    await handle.close();
  }
}

interface KeyLine {
  readonly lineNumber: number;
  readonly text: string;
}

/** Splits file content into trimmed lines, dropping blank lines and lines starting with '#'. */
function keyLines(content: string): KeyLine[] {
  return content
    .split(/\r?\n/)
    .map((line, index) => ({ lineNumber: index + 1, text: line.trim() }))
    .filter((line) => line.text !== '' && !line.text.startsWith('#'));
}

function singleKeyLine(path: string, content: string): KeyLine {
  const lines = keyLines(content);
  const first = lines[0];
  if (first === undefined || lines.length !== 1) {
    throw new KeyFileError(
      path,
      'content',
      `Key file ${path} must contain exactly one key line, found ${lines.length}.`,
    );
  }
  return first;
}

/** Adds the file path (and line) to a KeyFormatError, keeping reason, kind and cause. */
function withLocation(error: unknown, location: string): unknown {
  if (!(error instanceof KeyFormatError)) return error;
  return new KeyFormatError(error.keyKind, error.reason, `${location}: ${error.message}`, { cause: error });
}

/**
 * Reads an identity from a NAME.key file. Raises KeyFilePermissionError when group or others have
 * any access to the file, KeyFileError for a file that is not one key line, and KeyFormatError
 * (without any part of the key) for invalid key text.
 */
export async function readIdentityFile(
  path: string,
  provider: CryptoProvider = nobleProvider,
): Promise<KeyPair | DeviceIdentity> {
  const { key, signing } = splitSigningLine(path, await readKeyFile(path, true), SIGNING_SECRET_KEY_PREFIX);
  let identity: KeyPair;
  try {
    identity = identityFromSecretKeyText(key.text, provider);
  } catch (error) {
    throw withLocation(error, `${path}:${key.lineNumber}`);
  }
  if (signing === undefined) return identity;
  try {
    return { ...identity, signing: decodeSigningSecretKey(signing.text) };
  } catch (error) {
    throw withLocation(error, `${path}:${signing.lineNumber}`);
  }
}

/**
 * Splits a key file into its key line and an optional second line with the signing key
 * (version 2 of the key files). A file with one line is a version 1 file.
 */
function splitSigningLine(path: string, content: string, signingPrefix: string): { key: KeyLine; signing?: KeyLine } {
  const lines = keyLines(content);
  const signing = lines.filter((line) => line.text.startsWith(signingPrefix));
  const keys = lines.filter((line) => !line.text.startsWith(signingPrefix));
  const key = keys[0];
  if (key === undefined || keys.length !== 1 || signing.length > 1) {
    throw new KeyFileError(
      path,
      'content',
      `Key file ${path} must contain one key line and at most one ${signingPrefix} line, found ${lines.length} lines.`,
    );
  }
  const [first] = signing;
  return first === undefined ? { key } : { key, signing: first };
}

/**
 * Reads BASE.key as an identity with a signing key. A version 1 file without a signing key is
 * upgraded in place: a new signing key is added to BASE.key and BASE.pub. When BASE.key does not
 * exist, both files are created.
 */
export async function loadOrCreateDeviceIdentity(
  basePath: string,
  provider: CryptoProvider = nobleProvider,
): Promise<DeviceIdentity> {
  const { secretKeyPath } = identityPaths(basePath);
  if (!(await pathExists(secretKeyPath))) {
    const identity = generateDeviceIdentity(provider);
    await writeIdentityFiles(basePath, { identity, provider });
    return identity;
  }
  const identity = await readIdentityFile(secretKeyPath, provider);
  if (hasSigningKey(identity)) return identity;
  const upgraded: DeviceIdentity = { ...identity, signing: generateSigningKeyPair(provider) };
  await writeIdentityFiles(basePath, { identity: upgraded, overwrite: true, provider });
  return upgraded;
}

/** Writes an anchor key pair: BASE.key (mqe2e-as1-…, mode 0600) and BASE.pub (mqe2e-ap1-…). */
export async function writeAnchorFiles(
  basePath: string,
  options: { anchor?: SigningKeyPair; overwrite?: boolean; provider?: CryptoProvider } = {},
): Promise<{ anchor: SigningKeyPair; secretKeyPath: string; publicKeyPath: string }> {
  const { secretKeyPath, publicKeyPath } = identityPaths(basePath);
  const overwrite = options.overwrite === true;
  const anchor = options.anchor ?? generateSigningKeyPair(options.provider ?? nobleProvider);
  if (!overwrite) {
    for (const path of [secretKeyPath, publicKeyPath]) {
      if (await pathExists(path)) throw existsError(path);
    }
  }
  await writeFileAtomic(secretKeyPath, `${encodeAnchorSecretKey(anchor.secretKey)}\n`, 0o600, overwrite);
  await writeFileAtomic(publicKeyPath, `${encodeAnchorPublicKey(anchor.publicKey)}\n`, 0o644, overwrite);
  return { anchor, secretKeyPath, publicKeyPath };
}

/** Reads an anchor secret key file (mqe2e-as1-…, mode 0600). */
export async function readAnchorFile(path: string): Promise<SigningKeyPair> {
  const line = singleKeyLine(path, await readKeyFile(path, true));
  try {
    return decodeAnchorSecretKey(line.text);
  } catch (error) {
    throw withLocation(error, `${path}:${line.lineNumber}`);
  }
}

/** Reads an anchor public key file (mqe2e-ap1-…). */
export async function readAnchorPublicKeyFile(path: string): Promise<Uint8Array> {
  const line = singleKeyLine(path, await readKeyFile(path, false));
  try {
    return decodeAnchorPublicKey(line.text);
  } catch (error) {
    throw withLocation(error, `${path}:${line.lineNumber}`);
  }
}

/** Reads the X25519 public key from a NAME.pub file: one key line and an optional signing key line. */
export async function readPublicKeyFile(path: string): Promise<Uint8Array> {
  const line = splitSigningLine(path, await readKeyFile(path, false), SIGNING_PUBLIC_KEY_PREFIX).key;
  try {
    return decodePublicKey(line.text);
  } catch (error) {
    throw withLocation(error, `${path}:${line.lineNumber}`);
  }
}

/**
 * Reads both public keys of a version 2 NAME.pub file: the X25519 key and the Ed25519 signing
 * key. Raises KeyFileError when the file has no signing key line (a version 1 file).
 */
export async function readDevicePublicKeyFile(path: string): Promise<{ encryptionKey: Uint8Array; signingKey: Uint8Array }> {
  const { key, signing } = splitSigningLine(path, await readKeyFile(path, false), SIGNING_PUBLIC_KEY_PREFIX);
  if (signing === undefined) {
    throw new KeyFileError(
      path,
      'content',
      `Public key file ${path} has no signing key line (mqe2e-sp1-…): the device must create one by running with key exchange once.`,
    );
  }
  try {
    return { encryptionKey: decodePublicKey(key.text), signingKey: decodeSigningPublicKey(signing.text) };
  } catch (error) {
    throw withLocation(error, path);
  }
}

/** Reads BASE.key when it exists, otherwise creates BASE.key and BASE.pub with a new identity. */
export async function loadOrCreateIdentity(
  basePath: string,
  provider: CryptoProvider = nobleProvider,
): Promise<KeyPair> {
  const { secretKeyPath } = identityPaths(basePath);
  if (await pathExists(secretKeyPath)) {
    return readIdentityFile(secretKeyPath, provider);
  }
  return (await writeIdentityFiles(basePath, { provider })).identity;
}

/** Adds every "KEY [NAME]" line of a peer file. Lines without a name get `defaultName`. */
function addPeerLines(directory: PeerDirectory, path: string, content: string, defaultName?: string): void {
  for (const line of keyLines(content)) {
    // Signing key lines of version 2 .pub files are not encryption keys.
    if (line.text.startsWith(SIGNING_PUBLIC_KEY_PREFIX)) continue;
    const match = /^(\S+)(?:\s+(.+))?$/.exec(line.text);
    const keyText = match?.[1] ?? line.text;
    // Tabs and repeated spaces inside a name become single spaces.
    const name = match?.[2]?.replace(/\s+/g, ' ') ?? defaultName;
    const location = `${path}:${line.lineNumber}`;
    try {
      directory.addPeer(keyText, name);
    } catch (error) {
      if (error instanceof RangeError) {
        throw new KeyFileError(path, 'content', `${location}: ${error.message}`, { cause: error });
      }
      throw withLocation(error, location);
    }
  }
}

/**
 * Loads peer public keys into `directory` (a new one by default) from either a file of lines
 * "mqe2e-pk1-… [name]" or a directory whose *.pub files contain such lines. In a directory, a line
 * without a name is named after its file (alice.pub gives "alice"). Blank lines and '#' comments are skipped.
 */
export async function loadPeers(
  path: string,
  directory: PeerDirectory = new PeerDirectory(),
): Promise<PeerDirectory> {
  const info = await stat(path);
  if (!info.isDirectory()) {
    addPeerLines(directory, path, await readKeyFile(path, false));
    return directory;
  }
  const entries = await readdir(path, { withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.pub'))
    .map((entry) => entry.name);
  for (const file of files.sort()) {
    const filePath = join(path, file);
    addPeerLines(directory, filePath, await readKeyFile(filePath, false), file.slice(0, -'.pub'.length));
  }
  return directory;
}

export {
  MAX_STATE_FILE_BYTES,
  StateFileWriter,
  readStateFile,
  stateFilePath,
  writeStateFile,
  type KeyExchangeState,
} from './state-file.js';
