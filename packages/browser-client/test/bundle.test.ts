import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleInMemory, bundlePath, packageDir, sizePath, type BundleSize } from '../scripts/bundle.mjs';

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
/** npm polyfills of Node built-ins that bundlers used to add on their own. */
const POLYFILL_PACKAGES = [
  'buffer',
  'events',
  'process',
  'stream-browserify',
  'util',
  'crypto-browserify',
];

let metafile: Metafile;
let code: string;

beforeAll(async () => {
  // A fresh build in memory, so the checks never depend on the working directory of whichever
  // build wrote dist/ and never rewrite the files that the page tests serve.
  ({ metafile, code } = await bundleInMemory());
});

describe('browser bundle', () => {
  it('input paths resolve from package', () => {
    // esbuild writes input paths relative to its absWorkingDir, which is the package directory.
    const inputs = Object.keys(metafile.inputs).filter((path) => !path.startsWith('<'));
    expect(inputs.length).toBeGreaterThan(20);
    for (const path of inputs) expect(existsSync(join(packageDir, path)), path).toBe(true);
  });

  it('imports no Node built-ins', () => {
    const imports = Object.values(metafile.inputs).flatMap((input) => input.imports);
    expect(imports.length).toBeGreaterThan(10);
    for (const entry of imports) {
      expect(NODE_BUILTINS.has(entry.path), `${entry.path} imported`).toBe(false);
      expect(entry.path.startsWith('node:'), `${entry.path} imported`).toBe(false);
    }
    const outputs = Object.values(metafile.outputs);
    expect(outputs).toHaveLength(1);
    expect(outputs[0]?.imports).toEqual([]);
  });

  it('bundles MQTT.js browser build', () => {
    const inputs = Object.keys(metafile.inputs);
    const mqttInputs = inputs.filter((path) => path.includes('node_modules/mqtt/'));
    expect(mqttInputs).toHaveLength(1);
    expect(mqttInputs[0]).toMatch(/mqtt\/dist\/mqtt\.esm\.js$/);
  });

  it('adds no polyfill packages', () => {
    const inputs = Object.keys(metafile.inputs);
    for (const name of POLYFILL_PACKAGES) {
      expect(
        inputs.some((path) => path.includes(`node_modules/${name}/`)),
        name,
      ).toBe(false);
    }
  });

  it('leaves out Node-only modules', () => {
    const own = Object.keys(metafile.inputs).filter((path) => !path.includes('node_modules/'));
    expect(own.some((path) => path.includes('node-client/dist/core/'))).toBe(true);
    expect(own.some((path) => path.includes('node-client/dist/connect'))).toBe(false);
    expect(own.some((path) => path.includes('envelope/dist/providers/node'))).toBe(false);
    expect(own.some((path) => path.includes('key-exchange/dist/fs'))).toBe(false);
  });

  it('own code avoids Buffer and process', async () => {
    const own = Object.keys(metafile.inputs).filter((path) => !path.includes('node_modules/'));
    expect(own.length).toBeGreaterThan(20);
    for (const path of own) {
      const source = withoutComments(await readFile(join(packageDir, path), 'utf8'));
      expect(source, path).not.toMatch(/\bBuffer\.|\bprocess\.|\brequire\(/);
    }
  });

  it('is an ES module with exports', () => {
    expect(code).toMatch(/export\{[^}]*connectE2ee/);
    expect(code).not.toMatch(/\brequire\(["']/);
  });

  it('size report matches the file', async () => {
    // The global setup wrote the bundle and its size report from the current source.
    const size = JSON.parse(await readFile(sizePath, 'utf8')) as BundleSize;
    const written = await readFile(bundlePath);
    expect(size.minifiedBytes).toBe(written.length);
    expect(written.length).toBe(Buffer.byteLength(code));
    expect(size.gzipBytes).toBeGreaterThan(0);
    expect(size.gzipBytes).toBeLessThan(size.minifiedBytes);
    expect(Object.keys(size.inputs)).toContain('mqtt');
  });
});

/** Removes block and line comments, so that prose such as "the process" does not match. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}
