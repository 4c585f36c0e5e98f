/**
 * `pnpm --filter @mqtt-e2ee/kx-vectors kx-vectors`: writes test-vectors/key-exchange-v1.json.
 * With --check it writes nothing and exits with status 1 when the stored file differs from a
 * fresh generation.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateKxVectors, serializeKxVectors } from './index.js';

const target = fileURLToPath(new URL('../../../test-vectors/key-exchange-v1.json', import.meta.url));
const text = serializeKxVectors(generateKxVectors());

if (process.argv.includes('--check')) {
  let stored = '';
  try {
    stored = readFileSync(target, 'utf8');
  } catch {
    // A missing file counts as drift.
  }
  if (stored !== text) {
    console.error(`${target} differs from a fresh generation: run \`pnpm --filter @mqtt-e2ee/kx-vectors kx-vectors\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${target} is up to date.`);
} else {
  writeFileSync(target, text);
  console.log(`Wrote ${target}.`);
}
