import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Resolve `graphql` as Node does (its CommonJS build), so tests share one graphql realm with the
// CommonJS Apollo packages; Vite would otherwise pick the ESM build and `instanceof` checks fail.
const graphqlCjs = createRequire(import.meta.url).resolve('graphql');

/**
 * vitest's order (failed first, then longest by the last run's durations, else largest file), with
 * the files that start whole systems, then services or databases, ahead of the others of their
 * project: on a fresh clone there are no durations, and a long file started last would finish the
 * tier alone.
 */
class StartingFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Whole systems first, then single services and databases, then the rest.
    const weightOf = (file: TestSpecification) => {
      const source = readFileSync(file.moduleId, 'utf8');
      if (source.includes('startEmbeddedForTest(')) return 0;
      return /start(Subgraph|Order\w*)ForTest\(|startOrderSubgraph\(|openMigratedPglite\(/.test(source) ? 1 : 2;
    };
    const weight = new Map(sorted.map((file) => [file, weightOf(file)]));
    return sorted
      .map((file, index) => ({ file, index }))
      .sort((a, b) =>
        a.file.project.name === b.file.project.name
          ? weight.get(a.file)! - weight.get(b.file)! || a.index - b.index
          : a.index - b.index,
      )
      .map(({ file }) => file);
  }
}

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlCjs }] },
  test: {
    // One worker more than this 2-core machine has cores: the unit tests wait on sockets and timers
    // often enough that a third keeps both cores busy (19 s instead of 21 s for the tier). The e2e
    // project still runs one file at a time.
    maxWorkers: 3,
    sequence: { sequencer: StartingFirst },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          globalSetup: ['db/testing.ts'],
          // One module graph per worker, not per file: the files share no mutable module state, and
          // loading Apollo, drizzle and PGlite again for every file was most of the tier's time.
          isolate: false,
          // The unit tier finishes before the e2e suites start: those get the machine to themselves.
          sequence: { groupOrder: 0 },
          exclude: ['node_modules/**', '.data/**', '.kafka/**'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          sequence: { groupOrder: 1 },
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
