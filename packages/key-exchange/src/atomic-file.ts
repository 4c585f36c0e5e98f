/** Atomic file writes for the file keystore (Node.js only). */
import { randomBytes } from 'node:crypto';
import { link, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KeyFileError } from './errors.js';

export function isErrnoException(error: unknown, code: string): boolean {
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

export function existsError(path: string): KeyFileError {
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
export async function writeFileAtomic(
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

export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return false;
    throw error;
  }
}

