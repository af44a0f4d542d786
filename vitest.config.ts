import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Resolve `graphql` as Node does (its CommonJS build), so tests share one graphql realm with the
// CommonJS Apollo packages; Vite would otherwise pick the ESM build and `instanceof` checks fail.
const graphqlCjs = createRequire(import.meta.url).resolve('graphql');

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlCjs }] },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**', '.data/**', '.kafka/**'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/**/*.e2e.ts'],
          // The e2e suites start whole systems; one at a time keeps a 2-core machine honest.
          fileParallelism: false,
          testTimeout: 90_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
