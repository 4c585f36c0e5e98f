/**
 * `pnpm conformance`: runs the kit against the project's own adapter as an external process, once
 * per provider, and ends with the total "N passed, N failed".
 */
import { fileURLToPath } from 'node:url';
import { DEFAULT_VECTOR_DIR, runKit } from './cli.js';

const adapter = fileURLToPath(new URL('../bin/adapter.js', import.meta.url));
const providers = ['noble', 'node', 'sodium'];
// The live cases use the local Mosquitto unless MQTT_E2EE_CONFORMANCE_BROKER names another broker.
const broker = process.env.MQTT_E2EE_CONFORMANCE_BROKER ?? 'mqtt://127.0.0.1:1883';

let passed = 0;
let failed = 0;
for (const provider of providers) {
  console.log(`== adapter --provider ${provider}`);
  const report = await runKit({
    vectorDir: DEFAULT_VECTOR_DIR,
    broker,
    only: [],
    timeoutMs: 30_000,
    verbose: false,
    command: process.execPath,
    args: [adapter, '--provider', provider],
  });
  passed += report.passed;
  failed += report.failed;
}
console.log(`all providers (${providers.join(', ')}), live cases on ${broker}:`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
