import { publicKeyText } from '@mqtt-e2ee/key-exchange';
import { writeIdentityFiles } from '@mqtt-e2ee/key-exchange/fs';
import { CommandError, UsageError, errorCode, oneLine } from './errors.js';
import type { CommandIo } from './io.js';
import { checkOutputDirectory } from './out-dir.js';
import type { KeygenOptions } from './parse.js';

/** Runs `mqtt-e2ee keygen`: writes NAME.key (mode 0600) and NAME.pub, then prints the public key line. */
export async function runKeygen(options: KeygenOptions, io: CommandIo): Promise<void> {
  if (options.out.endsWith('.key') || options.out.endsWith('.pub')) {
    const base = options.out.slice(0, -4);
    throw new UsageError(`-o/--out takes the name without extension; pass -o ${base} to write ${base}.key and ${base}.pub`);
  }
  await checkOutputDirectory('-o/--out', options.out);
  let files: Awaited<ReturnType<typeof writeIdentityFiles>>;
  try {
    files = await writeIdentityFiles(options.out, { overwrite: options.force });
  } catch (error) {
    if (errorCode(error) === 'ERR_KEY_FILE' && (error as { reason?: unknown }).reason === 'exists') {
      const path = String((error as { path?: unknown }).path);
      throw new CommandError('ERR_KEY_FILE', `${path} already exists; pass --force to replace it, or choose another -o name`, {
        cause: error,
      });
    }
    throw new CommandError(errorCode(error) ?? 'ERR_KEY_FILE', `writing ${options.out}.key and ${options.out}.pub failed: ${oneLine(error)}`, {
      cause: error,
    });
  }
  io.stderr.write(`mqtt-e2ee keygen: wrote ${files.secretKeyPath} (secret, mode 0600) and ${files.publicKeyPath}; key id ${files.keyId}\n`);
  io.stdout.write(`${publicKeyText(files.identity)}\n`);
}
