/**
 * `pnpm conformance`: runs the kit against the project's own adapter as an external process, once
 * per provider, and ends with the total "N passed, N failed".
 */
import { fileURLToPath } from 'node:url';
import { DEFAULT_VECTOR_DIR, runKit } from './cli.js';

const adapter = fileURLToPath(new URL('../bin/adapter.js', import.meta.url));
const providers = ['noble', 'node', 'sodium'];

let passed = 0;
let failed = 0;
for (const provider of providers) {
  console.log(`== adapter --provider ${provider}`);
  const report = await runKit({
    vectorDir: DEFAULT_VECTOR_DIR,
    only: [],
    timeoutMs: 30_000,
    verbose: false,
    command: process.execPath,
    args: [adapter, '--provider', provider],
  });
  passed += report.passed;
  failed += report.failed;
}
console.log(`all providers (${providers.join(', ')}):`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
