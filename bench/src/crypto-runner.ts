/** Runs crypto-child.js once per provider and collects its rows. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CryptoRow } from './crypto.js';
import type { EpochRow } from './epochs.js';
import type { SessionRow } from './sessions.js';
import type { RateOptions } from './timing.js';

export interface ProviderCryptoResult {
  crypto: CryptoRow[];
  sessions: SessionRow;
  epochs: EpochRow;
}

/** Measures `provider` at `sizes` in a fresh Node.js process. */
export async function measureProviderInChild(provider: string, sizes: readonly number[], rate: RateOptions): Promise<ProviderCryptoResult> {
  const script = fileURLToPath(new URL('./crypto-child.js', import.meta.url));
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [script, provider, sizes.join(','), JSON.stringify(rate)],
      { timeout: 600_000 },
      (error, out, err) => {
        if (error !== null) reject(new Error(`crypto benchmark of provider '${provider}' failed: ${error.message}\n${err}`));
        else resolve(out);
      },
    );
  });
  return JSON.parse(stdout.trim()) as ProviderCryptoResult;
}
