import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Key directories created and not yet removed, for {@link removeKeyDirsSync}. */
const liveDirs = new Set<string>();

/** Creates a temporary directory for the demo's key files, named mqtt-e2ee-demo-XXXXXX. */
export async function createKeyDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mqtt-e2ee-demo-'));
  liveDirs.add(dir);
  return dir;
}

export async function removeKeyDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

/**
 * Removes every key directory that still exists and returns each one that could not be removed,
 * with its error. It is synchronous, so that a signal handler can call it right before process.exit().
 */
export function removeKeyDirsSync(): { dir: string; error: unknown }[] {
  const failed: { dir: string; error: unknown }[] = [];
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      failed.push({ dir, error });
    }
  }
  liveDirs.clear();
  return failed;
}
