import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources, no build step: the `@gavel/source` export condition
// resolves every workspace package to its `src/index.ts` (plain Node resolves `dist/index.js`).
// The rest are Vitest's own defaults for Node (Vite's server conditions without `module`).
const conditions = ['@gavel/source', 'node', 'development|production'];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['packages/**/*.test.ts', 'apps/**/*.test.ts'], testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/chaos/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // Fails the run if a sandbox container made by the suite's own processes outlives it.
          globalSetup: ['test/support/sandbox-leak-watch.ts'],
        },
      },
    ],
  },
});
