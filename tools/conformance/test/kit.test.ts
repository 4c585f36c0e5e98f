import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VECTOR_DIR, parseArgs } from '../src/cli.js';
import { loadCases } from '../src/cases.js';
import { differences } from '../src/compare.js';
import { liveCases } from '../src/live.js';
import { runConformance, type RunReport } from '../src/runner.js';

const adapter = fileURLToPath(new URL('../bin/adapter.js', import.meta.url));
const kit = fileURLToPath(new URL('../bin/mqtt-e2ee-conformance.js', import.meta.url));
const allCases = loadCases(DEFAULT_VECTOR_DIR);
const pick = (...ids: string[]) => ids.map((id) => {
  const found = allCases.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no case ${id}`);
  return found;
});

const sample = pick(
  'envelope/key-id/alice',
  'envelope/seal/basic',
  'envelope/seal/padding-custom-15',
  'envelope/open/basic',
  'envelope/open/flip-30-0x01',
  'envelope/sequence/restart',
  'envelope/classify/json',
  'rfc9180/mode-2',
  'wycheproof-x25519/tc-32',
  'wycheproof-chacha20-poly1305/tc-1/seal',
);

function status(report: RunReport): Record<string, boolean> {
  return Object.fromEntries(report.results.map((r) => [r.id, r.passed]));
}

describe('conformance cases', () => {
  it('cover every suite', () => {
    const suites = new Set(allCases.map((c) => c.id.split('/')[0]));
    expect([...suites]).toEqual(['envelope', 'rfc9180', 'wycheproof-x25519', 'wycheproof-chacha20-poly1305', 'kx']);
    const zeroRejections = allCases.filter((c) => c.op === 'x25519' && JSON.stringify(c.expected) === '{"error":"ERR_INVALID_KEY"}');
    expect(zeroRejections).toHaveLength(31);
    expect(new Set(allCases.map((c) => c.id)).size).toBe(allCases.length);
  });
});

describe('conformance runner', () => {
  it('passes the project adapter', async () => {
    const report = await runConformance({ command: process.execPath, args: [adapter, '--provider', 'node'], cases: sample, timeoutMs: 20_000 });
    expect(report.implementation).toBe('@mqtt-e2ee/envelope (node)');
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(sample.length);
  });

  it('names cases broken by info fault', async () => {
    const report = await runConformance({
      command: process.execPath,
      args: [adapter, '--provider', 'noble'],
      cases: sample,
      timeoutMs: 20_000,
      env: { ...process.env, MQTT_E2EE_ADAPTER_FAULT: 'info-label' },
    });
    expect(status(report)).toEqual({
      'envelope/key-id/alice': true,
      'envelope/seal/basic': false,
      'envelope/seal/padding-custom-15': false,
      'envelope/open/basic': false,
      // A flipped header byte fails either way, so this case cannot see the fault.
      'envelope/open/flip-30-0x01': true,
      'envelope/sequence/restart': false,
      'envelope/classify/json': true,
      'rfc9180/mode-2': true,
      'wycheproof-x25519/tc-32': true,
      'wycheproof-chacha20-poly1305/tc-1/seal': true,
    });
    const sealFailure = report.results.find((r) => r.id === 'envelope/seal/basic')!;
    expect(sealFailure.details.some((line) => line.startsWith('output.key: expected'))).toBe(true);
    const openFailure = report.results.find((r) => r.id === 'envelope/open/basic')!;
    expect(openFailure.details).toContain('output.error: expected nothing, got "ERR_DECRYPT"');
  });

  it('names cases broken by kx fault', async () => {
    const kxSample = pick(
      'kx/announcement/announcement-plain',
      'kx/announcement/announcement-two-rotations',
      'kx/announcement/announcement-seq-changed',
      'kx/endorsement/valid',
      'kx/revocation/valid',
      'kx/revocation/revoked-at-changed',
      'kx/group-signed/seal',
      'kx/group-signed/open',
    );
    const run = (env: NodeJS.ProcessEnv) =>
      runConformance({ command: process.execPath, args: [adapter, '--provider', 'sodium'], cases: kxSample, timeoutMs: 20_000, env });
    expect((await run(process.env)).failed).toBe(0);
    const report = await run({ ...process.env, MQTT_E2EE_ADAPTER_FAULT: 'kx-label' });
    expect(status(report)).toEqual({
      'kx/announcement/announcement-plain': false,
      'kx/announcement/announcement-two-rotations': false,
      // Rejected records report no signed bytes, so these cases cannot see the fault.
      'kx/announcement/announcement-seq-changed': true,
      'kx/endorsement/valid': false,
      'kx/revocation/valid': false,
      'kx/revocation/revoked-at-changed': true,
      'kx/group-signed/seal': true,
      'kx/group-signed/open': true,
    });
    const rotated = report.results.find((r) => r.id === 'kx/announcement/announcement-two-rotations')!;
    expect(rotated.details.filter((line) => line.startsWith('output.rotationSignedBytes['))).toHaveLength(2);
  });

  it('fails every case of a broken adapter', async () => {
    const script = 'process.stdin.once("data", () => console.log("ready!"))';
    const report = await runConformance({ command: process.execPath, args: ['-e', script], cases: sample.slice(0, 3), timeoutMs: 5_000 });
    expect(report.passed).toBe(0);
    expect(report.failed).toBe(3);
    expect(report.results[0]!.details[0]).toMatch(/hello failed: adapter wrote a line that is not JSON/);
  });

  it('fails ops the adapter lacks', async () => {
    const script = [
      'const rl = require("node:readline").createInterface({ input: process.stdin });',
      'rl.on("line", (l) => { const m = JSON.parse(l);',
      ' if (m.type === "hello") console.log(JSON.stringify({ type: "hello", implementation: "keys only", ops: ["key-id"] }));',
      ' else console.log(JSON.stringify({ type: "result", id: m.id, output: { keyId: "0000000000000000" } })); });',
    ].join('\n');
    const report = await runConformance({ command: process.execPath, args: ['-e', script], cases: sample.slice(0, 2), timeoutMs: 5_000 });
    expect(report.implementation).toBe('keys only');
    const aliceKeyId = (sample[0]!.expected as { keyId: string }).keyId;
    expect(report.results[0]!.details).toEqual([`output.keyId: expected "${aliceKeyId}", got "0000000000000000" (first difference at character 0)`]);
    expect(report.results[1]!.details).toEqual(['op "seal" is not in the ops list of the adapter\'s hello']);
  });

  it('times out a silent adapter', async () => {
    const report = await runConformance({ command: process.execPath, args: ['-e', 'setTimeout(() => {}, 60000)'], cases: sample.slice(0, 1), timeoutMs: 300 });
    expect(report.results[0]!.details[0]).toMatch(/no reply within 300 ms/);
  });
});

describe('conformance command line', () => {
  it('filters the kx group', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [kit, '--only', 'kx/revocation/', '--', process.execPath, adapter, '--provider', 'noble']);
    expect(stdout.trim().split('\n').at(-1)).toBe('2 passed, 0 failed');
  });

  it('ends with the totals line', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [kit, '--only', 'envelope/key-id/', '--', process.execPath, adapter, '--provider', 'sodium']);
    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('9 passed, 0 failed');
    expect(lines.at(-2)).toBe('implementation: @mqtt-e2ee/envelope (sodium), 9 cases');
  });

  it('rejects bad arguments', () => {
    expect(() => parseArgs(['--only'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--timeout', '0', '--', 'x'])).toThrow(/--timeout/);
    expect(() => parseArgs([])).toThrow(/missing adapter command/);
    expect(parseArgs(['--only', 'a', '--only', 'b', '--', 'cmd', '--provider', 'x'])).toMatchObject({ only: ['a', 'b'], command: 'cmd', args: ['--provider', 'x'] });
  });
});

describe('differences', () => {
  it('names each differing path', () => {
    expect(differences({ a: '00ff', b: [1, 2] }, { a: '00fe', b: [1], c: true })).toEqual([
      'output.a: expected "00ff", got "00fe" (first difference at character 3)',
      'output.b: expected 2 items, got 1',
      'output.c: expected nothing, got true',
    ]);
    expect(differences({ x: { y: 'same' } }, { x: { y: 'same' } })).toEqual([]);
  });
});

describe('live cases', () => {
  // The local Mosquitto of the test machine; CI starts it before the tests.
  const broker = process.env.MQTT_E2EE_CONFORMANCE_BROKER ?? 'mqtt://127.0.0.1:1883';

  it('pass over the broker', async () => {
    const report = await runConformance({ command: process.execPath, args: [adapter, '--provider', 'sodium'], cases: liveCases(broker), timeoutMs: 30_000 });
    expect(report.results.map((r) => r.details)).toEqual([[], []]);
    expect(report.passed).toBe(2);
  });

  it('catch the info fault live', async () => {
    const report = await runConformance({
      command: process.execPath,
      args: [adapter, '--provider', 'node'],
      cases: liveCases(broker),
      timeoutMs: 30_000,
      env: { ...process.env, MQTT_E2EE_ADAPTER_FAULT: 'info-label' },
    });
    expect(status(report)).toEqual({ 'live/receive': false, 'live/seal': false });
    const receive = report.results.find((r) => r.id === 'live/receive')!;
    expect(receive.details).toContain('output.received[0].error: expected nothing, got "ERR_DECRYPT"');
  });
});
