import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { tcpReachable } from '../kernel/index.ts';

/**
 * A single-node Apache Kafka broker in KRaft mode for development and tests, resolved from Maven
 * Central (no Docker needed). Everything lives in `.kafka/`: jars, config, data, log and pid.
 *   npm run kafka:start   resolve, format storage once, start, wait until the broker answers
 *   npm run kafka:stop    stop it (SIGTERM, then SIGKILL after 30 s)
 * Both are idempotent.
 */
const root = path.resolve(import.meta.dirname, '..');
const home = path.join(root, '.kafka');
const libs = path.join(home, 'libs');
const dataDir = path.join(home, 'data');
const pidFile = path.join(home, 'kafka.pid');
const logFile = path.join(home, 'kafka.log');
const host = '127.0.0.1';
const port = 9092;
const controllerPort = 9093;

const log = (message: string) => process.stdout.write(`[kafka] ${message}\n`);

/** True when a broker answers a metadata request, not merely accepts a connection. */
async function answers(): Promise<boolean> {
  if (!(await tcpReachable(host, port, 1000))) return false;
  const admin = new Kafka({
    clientId: 'sagaway-kafka-script',
    brokers: [`${host}:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function kafkaVersion(): string {
  const pom = readFileSync(path.join(import.meta.dirname, 'kafka', 'pom.xml'), 'utf8');
  return /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)![1]!;
}

/** Resolves kafka_2.13 and its runtime dependencies with Maven, once per version. */
function resolveJars(version: string): void {
  const marker = path.join(libs, `.resolved-${version}`);
  if (existsSync(marker)) return;
  log(`resolving Apache Kafka ${version} from Maven Central into .kafka/libs`);
  rmSync(libs, { recursive: true, force: true });
  mkdirSync(libs, { recursive: true });
  execFileSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      path.join(import.meta.dirname, 'kafka', 'pom.xml'),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libs}`,
      '-DincludeScope=runtime',
    ],
    { stdio: 'inherit' },
  );
  writeFileSync(marker, new Date().toISOString());
}

function writeConfig(): string {
  mkdirSync(home, { recursive: true });
  const properties = path.join(home, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=${host}:${controllerPort}`,
      `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://${host}:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${dataDir}`,
      'num.partitions=6',
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      // A single broker for tests: new groups start at once instead of waiting for more members.
      'group.initial.rebalance.delay.ms=0',
      'log.retention.hours=24',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(home, 'log4j2.yaml'),
    [
      'Configuration:',
      '  Appenders:',
      '    Console:',
      '      name: STDOUT',
      '      PatternLayout:',
      '        Pattern: "[%d] %p %m (%c)%n"',
      '  Loggers:',
      '    Root:',
      '      level: INFO',
      '      AppenderRef:',
      '        - ref: STDOUT',
      '',
    ].join('\n'),
  );
  return properties;
}

const java = (...args: string[]) => [
  '-Xms256m',
  '-Xmx768m',
  `-Dlog4j2.configurationFile=${path.join(home, 'log4j2.yaml')}`,
  '-cp',
  `${libs}/*`,
  ...args,
];

function formatStorage(properties: string): void {
  if (existsSync(path.join(dataDir, 'meta.properties'))) return;
  log('formatting KRaft storage');
  execFileSync(
    'java',
    java('kafka.tools.StorageTool', 'format', '-t', randomUUID(), '-c', properties, '--standalone'),
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const readPid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined);

/** Starts the local broker unless one answers already; resolves when it answers. Returns whether it started one. */
export async function startKafka({ timeoutMs = 90_000 }: { timeoutMs?: number } = {}): Promise<boolean> {
  if (await answers()) {
    log(`a broker already answers on ${host}:${port}`);
    return false;
  }
  const version = kafkaVersion();
  resolveJars(version);
  const properties = writeConfig();
  formatStorage(properties);
  const existing = readPid();
  if (!existing || !pidAlive(existing)) {
    const out = openSync(logFile, 'a');
    const child = spawn('java', java('kafka.Kafka', properties), { detached: true, stdio: ['ignore', out, out] });
    child.unref();
    writeFileSync(pidFile, String(child.pid));
    log(`started Apache Kafka ${version} (pid ${child.pid}), logging to .kafka/kafka.log`);
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answers()) {
      log(`broker answers on ${host}:${port}`);
      return true;
    }
    const pid = readPid();
    if (pid && !pidAlive(pid)) throw new Error(`the broker exited during start-up; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the broker did not answer within ${timeoutMs} ms; see ${logFile}`);
}

export async function stopKafka(): Promise<void> {
  const pid = readPid();
  if (!pid || !pidAlive(pid)) {
    log('no local broker is running');
    rmSync(pidFile, { force: true });
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  log(`stopped the broker (pid ${pid})`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = process.argv[2];
  try {
    if (command === 'start') await startKafka();
    else if (command === 'stop') await stopKafka();
    else {
      process.stderr.write('usage: node --import tsx scripts/kafka.ts start|stop\n');
      process.exit(2);
    }
  } catch (err) {
    process.stderr.write(`[kafka] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
