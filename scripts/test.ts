import { spawnSync } from 'node:child_process';
import { startKafka, stopKafka } from './kafka.ts';
import { brokerAnswers, missingPrerequisites } from './prerequisites.ts';

/**
 * `npm test`: type-check, then every vitest project (unit, resolver and e2e tests). The e2e tests
 * need a Kafka broker: when none answers, the local one is started for the run and stopped after.
 * Extra arguments go to vitest (`npm test -- tests/order-saga.e2e.ts`).
 */
const args = process.argv.slice(2);
const run = (command: string, argv: string[]) => spawnSync(command, argv, { stdio: 'inherit' }).status ?? 1;

const started = Date.now();
const external = process.env.KAFKA_BROKERS !== undefined;
const missing = await missingPrerequisites({ needKafkaBuild: !external && !(await brokerAnswers()) });
if (missing.length > 0) {
  process.stderr.write(
    `npm test needs what this machine lacks:\n${missing.map((m) => `  - ${m.what}\n      ${m.fix}`).join('\n')}\n`,
  );
  process.exit(1);
}
// The whole run checks types and lint (Biome: format, rules, import order; dependency-cruiser: the
// layering) before any test starts.
if (args.length === 0 && (run('npx', ['tsc', '--noEmit']) !== 0 || run('npm', ['run', '-s', 'lint']) !== 0)) {
  process.exit(1);
}

const startedBroker = external ? false : await startKafka();
let status = 1;
try {
  status = run('npx', ['vitest', 'run', ...args]);
} finally {
  if (startedBroker) await stopKafka();
}
process.stdout.write(`npm test finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
process.exit(status);
