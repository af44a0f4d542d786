import { spawn } from 'node:child_process';
import { prepareTemplate } from '../db/testing.ts';
import { startKafka, stopKafka } from './kafka.ts';
import { brokerAnswers, missingPrerequisites } from './prerequisites.ts';

/**
 * `npm test`: type-check and lint, then the unit tier (no infrastructure) and the e2e tier (real
 * Kafka, PostgreSQL and Redis), each timed. The e2e tests need a Kafka broker: when none answers,
 * the local one is started for the run and stopped after. Extra arguments go to one vitest run
 * (`npm test -- tests/order-saga.e2e.ts`).
 */
const args = process.argv.slice(2);
const run = (command: string, argv: string[]) =>
  new Promise<number>((resolve) =>
    spawn(command, argv, { stdio: 'inherit' }).on('close', (code) => resolve(code ?? 1)),
  );
/** Runs `fn` with a Kafka broker: the one configured or already up, else the local one, stopped after. */
async function withBroker(fn: () => Promise<number>): Promise<number> {
  const startedBroker = external ? false : await startKafka();
  try {
    return await fn();
  } finally {
    if (startedBroker) await stopKafka();
  }
}
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

const started = Date.now();
const external = process.env.KAFKA_BROKERS !== undefined;
const missing = await missingPrerequisites({ needKafkaBuild: !external && !(await brokerAnswers()) });
if (missing.length > 0) {
  process.stderr.write(
    `npm test needs what this machine lacks:\n${missing.map((m) => `  - ${m.what}\n      ${m.fix}`).join('\n')}\n`,
  );
  process.exit(1);
}
// The in-memory database template the unit tier starts from is made (or found in .tmp) while the
// whole run checks types and lint (Biome: format, rules, import order; dependency-cruiser: the
// layering), before any test starts.
const template = prepareTemplate();
if (
  args.length === 0 &&
  ((await run('npx', ['tsc', '--noEmit'])) !== 0 || (await run('npm', ['run', '-s', 'lint'])) !== 0)
) {
  process.exit(1);
}
await template;

let status: number;
if (args.length > 0) {
  status = await withBroker(() => run('npx', ['vitest', 'run', ...args]));
} else {
  // The unit tier needs no infrastructure: it runs before the broker starts, alone on the machine.
  const unitStarted = Date.now();
  status = await run('npx', ['vitest', 'run', '--project', 'unit']);
  process.stdout.write(`unit tier finished in ${seconds(unitStarted)}\n`);
  if (status === 0) {
    status = await withBroker(async () => {
      const e2eStarted = Date.now();
      const code = await run('npx', ['vitest', 'run', '--project', 'e2e']);
      process.stdout.write(`e2e tier finished in ${seconds(e2eStarted)}\n`);
      return code;
    });
  }
}
process.stdout.write(`npm test finished in ${seconds(started)}\n`);
process.exit(status);
