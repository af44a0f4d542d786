import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * What `npm test` needs on the machine, checked before anything runs: each missing one is named
 * with the command that installs or starts it (Debian/Ubuntu), instead of a failure deep in a suite.
 */
export interface Missing {
  what: string;
  fix: string;
}

const reachable = (url: string, fallbackPort: number) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port) || fallbackPort, hostname.replace(/^\[|\]$/g, ''));
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });

const version = (command: string, args: string[]): string | undefined => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 || result.stderr ? `${result.stdout ?? ''}${result.stderr ?? ''}` : undefined;
};

/** A Kafka broker already answers where the tests look for one (then Java and Maven are not needed). */
export const brokerAnswers = () => reachable(`kafka://${(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0]!.trim()}`, 9092);

export async function missingPrerequisites({ needKafkaBuild }: { needKafkaBuild: boolean }): Promise<Missing[]> {
  const missing: Missing[] = [];
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major < 20 || (major === 20 && minor < 19)) missing.push({ what: `Node.js ≥ 20.19 (this is ${process.versions.node})`, fix: 'install Node.js 20.19 or newer (https://nodejs.org)' });
  if (needKafkaBuild) {
    const java = /version "(\d+)/.exec(version('java', ['-version']) ?? '')?.[1];
    if (!java || Number(java) < 17) missing.push({ what: 'Java 17+ (runs the local Kafka broker)', fix: 'apt-get install -y openjdk-17-jre-headless' });
    if (!version('mvn', ['-v'])) missing.push({ what: 'Maven (fetches the Kafka broker from Maven Central)', fix: 'apt-get install -y maven' });
  }
  const postgresUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (!(await reachable(postgresUrl, 5432))) missing.push({ what: `PostgreSQL at ${new URL(postgresUrl).host}`, fix: 'apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or set TEST_POSTGRES_URL)' });
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await reachable(redisUrl, 6379))) missing.push({ what: `Redis at ${new URL(redisUrl).host}`, fix: 'apt-get install -y redis-server && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no (or set REDIS_URL)' });
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) missing.push({ what: `Chromium at ${chromium} (the browser tests)`, fix: 'apt-get install -y chromium (or set CHROMIUM_PATH)' });
  return missing;
}
