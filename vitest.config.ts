import { defineConfig } from 'vitest/config';

// One run over every workspace package, so that the run ends with a single
// summary. Each package can still run its own tests with `pnpm --filter`.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'tools/*/vitest.config.ts', 'bench/vitest.config.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
