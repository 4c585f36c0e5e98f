import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError, errorCode } from './errors.js';

/**
 * Checks that the directory part of the output path given to `flag` is an existing directory.
 * The key files are written through a temporary file next to them, so without this check a
 * missing directory shows up as a failed write of that temporary file. Other problems, such as
 * a directory without write permission, are left to the write to report.
 */
export async function checkOutputDirectory(flag: string, path: string): Promise<void> {
  const dir = dirname(path);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') {
      throw new UsageError(`the directory ${dir} in ${flag} '${path}' does not exist; create it (mkdir -p ${dir}) or pass another ${flag} path`, {
        cause: error,
      });
    }
    if (code !== 'ENOTDIR') return;
    isDirectory = false;
  }
  if (!isDirectory) {
    throw new UsageError(`${dir} in ${flag} '${path}' is not a directory; pass a path in an existing directory`);
  }
}
