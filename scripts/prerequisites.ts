import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { infraEnv, reachable } from '../harness/index.ts';

/**
 * What `npm test` needs on the machine, checked before anything runs: each missing one is named
 * with the command that installs or starts it (Debian/Ubuntu), instead of a failure deep in a suite.
 * The addresses are the ones the suites use (harness/infrastructure.ts).
 */
export interface Missing {
  what: string;
  fix: string;
}

/** What a command prints about its version, or undefined when it is not installed. */
const versionOf = (command: string, args: string[]): string | undefined => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.error ? undefined : `${result.stdout ?? ''}${result.stderr ?? ''}`;
};

/** A Kafka broker already answers where the tests look for one (then Java and Maven are not needed). */
export const brokerAnswers = () => reachable(infraEnv.kafkaBrokers[0]!);

export async function missingPrerequisites({ needKafkaBuild }: { needKafkaBuild: boolean }): Promise<Missing[]> {
  const missing: Missing[] = [];
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major < 20 || (major === 20 && minor < 19))
    missing.push({
      what: `Node.js ≥ 20.19 (this is ${process.versions.node})`,
      fix: 'install Node.js 20.19 or newer (https://nodejs.org)',
    });
  if (needKafkaBuild) {
    const java = /version "(\d+)/.exec(versionOf('java', ['-version']) ?? '')?.[1];
    if (!java || Number(java) < 17)
      missing.push({
        what: 'Java 17+ (runs the local Kafka broker)',
        fix: 'apt-get install -y openjdk-17-jre-headless',
      });
    if (!versionOf('mvn', ['-v']))
      missing.push({ what: 'Maven (fetches the Kafka broker from Maven Central)', fix: 'apt-get install -y maven' });
  }
  const { postgresAdminUrl, redisUrl, chromiumPath } = infraEnv;
  if (!(await reachable(postgresAdminUrl)))
    missing.push({
      what: `PostgreSQL at ${new URL(postgresAdminUrl).host}`,
      fix: 'apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or set TEST_POSTGRES_URL)',
    });
  if (!(await reachable(redisUrl)))
    missing.push({
      what: `Redis at ${new URL(redisUrl).host}`,
      fix: 'apt-get install -y redis-server && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no (or set REDIS_URL)',
    });
  if (!existsSync(chromiumPath))
    missing.push({
      what: `Chromium at ${chromiumPath} (the browser tests)`,
      fix: 'apt-get install -y chromium (or set CHROMIUM_PATH)',
    });
  return missing;
}
