// Builds the browser ESM bundle with esbuild, then prints its minified and gzipped size and
// writes them to dist/size.json. The metafile goes to dist/bundle/meta.json for the tests.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, version as esbuildVersion } from 'esbuild';

/** This package's directory, found from this file and not from the working directory. */
export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const bundlePath = join(packageDir, 'dist/bundle/mqtt-e2ee-browser.js');
export const metafilePath = join(packageDir, 'dist/bundle/meta.json');
export const sizePath = join(packageDir, 'dist/size.json');

/**
 * Bundles src/index.ts for browsers. With platform 'browser', esbuild resolves 'mqtt' through the
 * "browser" condition of its exports map to MQTT.js's own browser build (dist/mqtt.esm.js).
 */
export async function buildBundle() {
  await mkdir(dirname(bundlePath), { recursive: true });
  const result = await build(bundleOptions(true));
  await writeFile(metafilePath, JSON.stringify(result.metafile, null, 2));
  const code = await readFile(bundlePath);
  const size = {
    file: 'dist/bundle/mqtt-e2ee-browser.js',
    minifiedBytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    esbuild: esbuildVersion,
    inputs: summarizeInputs(result.metafile),
  };
  await writeFile(sizePath, `${JSON.stringify(size, null, 2)}\n`);
  return { metafile: result.metafile, size };
}

/**
 * Bundles src/index.ts with the same options as buildBundle but writes nothing, so tests can
 * inspect a fresh build without racing other tests that serve the files in dist/.
 */
export async function bundleInMemory() {
  const result = await build(bundleOptions(false));
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild returned no output file');
  return { metafile: result.metafile, code: output.text };
}

function bundleOptions(write) {
  return {
    // Metafile paths are relative to this directory, wherever the build is started from.
    absWorkingDir: packageDir,
    entryPoints: [join(packageDir, 'src/index.ts')],
    outfile: bundlePath,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    // Error classes set `name` from the class name, which must survive minification.
    keepNames: true,
    sourcemap: false,
    metafile: true,
    write,
    logLevel: 'warning',
  };
}

/** Sums the bytes each package contributes to the output, largest first. */
function summarizeInputs(metafile) {
  const totals = new Map();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = packageOf(path);
      totals.set(key, (totals.get(key) ?? 0) + bytesInOutput);
    }
  }
  return Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]));
}

function packageOf(path) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(path);
  if (match !== null) return match[1];
  // Workspace packages appear as paths relative to this package, such as ../envelope/dist/x.js.
  const sibling = /^\.\.\/([^/]+)\//.exec(path);
  if (sibling !== null) return `@mqtt-e2ee/${sibling[1]}`;
  return path.startsWith('src/') ? '@mqtt-e2ee/browser-client' : path;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { size } = await buildBundle();
  const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  console.log(`${size.file}: ${kib(size.minifiedBytes)} minified, ${kib(size.gzipBytes)} gzipped`);
  for (const [name, bytes] of Object.entries(size.inputs)) console.log(`  ${name}: ${kib(bytes)}`);
}
