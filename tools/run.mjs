#!/usr/bin/env node
// Entry point behind `npm run demo` and `npm test` on a machine that has only
// Node.js and npm. It finds pnpm 10 (or runs it through npx), installs the
// workspace when node_modules is missing, then hands over to the pnpm script.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pinned = String(manifest.packageManager).replace(/^pnpm@/, '');
const [task, ...rest] = process.argv.slice(2);

if (task === undefined) {
  console.error('usage: node tools/run.mjs <script> [args...], for example: node tools/run.mjs demo');
  process.exit(2);
}

function run(command, args, cwd = root) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', shell: false });
  if (result.error) return { status: 127, error: result.error };
  return { status: result.status ?? 1 };
}

function findPnpm() {
  const probe = spawnSync('pnpm', ['--version'], { cwd: root, encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim().startsWith('10.')) return ['pnpm', []];
  // NOTE: pnpm 11 does not run on Node.js 20, so an installed pnpm of
  // another major version is bypassed in favour of the pinned one.
  return ['npx', ['--yes', `pnpm@${pinned}`]];
}

const [pnpm, prefix] = findPnpm();
if (!existsSync(join(root, 'node_modules', '.modules.yaml'))) {
  const install = run(pnpm, [...prefix, 'install', '--frozen-lockfile']);
  if (install.status !== 0) {
    console.error(`Installing dependencies failed (exit ${install.status}). Check the network access to the npm registry, then run the command again.`);
    process.exit(install.status);
  }
}
// pnpm sets INIT_CWD to the directory it starts in, and scripts such as the demo resolve
// relative paths against it. Starting pnpm where the user ran npm or pnpm, with --dir
// pointing at the root, keeps that directory instead of the root.
const userDir = process.env.INIT_CWD !== undefined && existsSync(process.env.INIT_CWD) ? process.env.INIT_CWD : root;
const outcome = run(pnpm, [...prefix, '--dir', root, 'run', task, ...rest], userDir);
process.exit(outcome.status);
