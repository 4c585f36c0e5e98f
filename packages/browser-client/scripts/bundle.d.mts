import type { Metafile } from 'esbuild';

export declare const packageDir: string;
export declare const bundlePath: string;
export declare const metafilePath: string;
export declare const sizePath: string;

export interface BundleSize {
  file: string;
  minifiedBytes: number;
  gzipBytes: number;
  esbuild: string;
  inputs: Record<string, number>;
}

export declare function buildBundle(): Promise<{ metafile: Metafile; size: BundleSize }>;

/** Bundles with the options of buildBundle without writing files. Metafile paths are relative to packageDir. */
export declare function bundleInMemory(): Promise<{ metafile: Metafile; code: string }>;
