/**
 * File keystore (Node.js only): NAME.key contains the secret key text and must have mode 0600,
 * NAME.pub contains the public key text. Both are one key line followed by a newline.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { nobleProvider, type CryptoProvider, type KeyPair } from '@mqtt-e2ee/envelope';
import { KeyFileError, KeyFilePermissionError, KeyFormatError } from './errors.js';
import {
  generateIdentity,
  identityFromSecretKeyText,
  keyIdHex,
  publicKeyText,
  secretKeyText,
} from './identity.js';
import { decodePublicKey } from './keytext.js';
import { PeerDirectory } from './peers.js';

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

function isErrnoException(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/** Flushes the directory entry of a rename to disk. Platforms that cannot open a directory skip it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const skippable = ['EISDIR', 'EPERM', 'EINVAL', 'EACCES'].some((code) => isErrnoException(error, code));
    if (!skippable) throw error;
  } finally {
    await handle?.close();
  }
}

function existsError(path: string): KeyFileError {
  return new KeyFileError(
    path,
    'exists',
    `Key file ${path} already exists: choose another name, or pass { overwrite: true } to replace it.`,
  );
}

/**
 * Moves the finished temp file into place. Without `overwrite`, link() creates the new name only if it
 * does not exist yet, so an existing key is never replaced, even by a concurrent writer.
 */
async function publish(temp: string, path: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await rename(temp, path);
    return;
  }
  try {
    await link(temp, path);
  } catch (error) {
    if (isErrnoException(error, 'EEXIST')) throw existsError(path);
    const unsupported = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].some((code) =>
      isErrnoException(error, code),
    );
    if (!unsupported) throw error;
    // NOTE: on file systems without hard links, another writer can create `path` between this
    // check and the rename, and its file is then replaced.
    if (await pathExists(path)) throw existsError(path);
    await rename(temp, path);
    return;
  }
  await unlink(temp);
}

/**
 * Writes `content` to `path` atomically: a temp file in the same directory is created with `mode`,
 * written and fsynced, then moved into place, and the directory is fsynced.
 */
async function writeFileAtomic(
  path: string,
  content: string,
  mode: number,
  overwrite: boolean,
): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await open(temp, 'wx', mode);
    created = true;
    try {
      // The mode passed to open() is reduced by the umask, so set the exact bits.
      await handle.chmod(mode);
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await publish(temp, path, overwrite);
    created = false;
  } finally {
    if (created) {
      await unlink(temp).catch(() => undefined);
    }
  }
  await syncDirectory(dir);
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return false;
    throw error;
  }
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
  const publicLine = `${publicKeyText(identity)}\n`;
  if (!overwrite) {
    for (const path of [secretKeyPath, publicKeyPath]) {
      if (await pathExists(path)) throw existsError(path);
    }
  }
  await writeFileAtomic(secretKeyPath, `${secretKeyText(identity)}\n`, 0o600, overwrite);
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
): Promise<KeyPair> {
  const line = singleKeyLine(path, await readKeyFile(path, true));
  try {
    return identityFromSecretKeyText(line.text, provider);
  } catch (error) {
    throw withLocation(error, `${path}:${line.lineNumber}`);
  }
}

/** Reads the public key from a NAME.pub file with one key line. */
export async function readPublicKeyFile(path: string): Promise<Uint8Array> {
  const line = singleKeyLine(path, await readKeyFile(path, false));
  try {
    return decodePublicKey(line.text);
  } catch (error) {
    throw withLocation(error, `${path}:${line.lineNumber}`);
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
