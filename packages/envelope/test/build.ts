import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('../', import.meta.url));

/**
 * Compiles src/ into node_modules/.cache so that child processes can import the current sources
 * as JavaScript, without touching dist/. Each caller names its own directory, because test files
 * run in parallel. Returns the URL of the output directory.
 */
export function buildForChildProcesses(name: string): URL {
  const outDir = `${packageDir}node_modules/.cache/envelope-child-build-${name}/`;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--outDir', outDir, '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'], {
    cwd: packageDir,
    stdio: 'inherit',
  });
  return new URL(`file://${outDir}`);
}
