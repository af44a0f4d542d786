import { parseArgs } from 'node:util';
import { ConfigError, loadKafkaConfig } from '../kernel/index.ts';
import { type DeadLetter, type DeadLetterFilter, MAX_REPLAYS, mayReplay, openDeadLetters } from '../messaging/index.ts';

const usage = `usage: npm run dlq -- <command> [filters] [options]

  list                      the dead letters, oldest first
  show <position>...        one or more in full (headers and message)
  replay                    send the matching dead letters back to the topic they came from
  purge --topic <topic>     delete a topic's dead letters (all, or those before --until)

filters (list, replay):
  --topic <topic>           the topic they came from (inventory.commands, payment.commands, saga.replies,
                            inventory.events, order.events), with or without .dlq
  --reason <text>           part of the reason, any case (e.g. "schema version", "failed")
  --since <time>            dead-lettered at or after: an ISO time or an age (30m, 2h, 1d)
  --until <time>            dead-lettered before
  --position <position>     this one only (repeatable), as list prints it: <topic>.dlq/<partition>/<offset>

options:
  --json                    list: one JSON object per line
  --dry-run                 replay: say what would be sent, send nothing
  --all                     replay: every dead letter (without it, replay needs a filter)
  --force                   replay: also messages replayed ${MAX_REPLAYS} times already (the loop guard)
  --yes                     purge: really delete

The broker and topic prefix are KAFKA_BROKERS and KAFKA_TOPIC_PREFIX, as for the services.
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    topic: { type: 'string' },
    reason: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    position: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    all: { type: 'boolean', default: false },
    yes: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

const fail = (message: string): never => {
  process.stderr.write(`${message}\n\n${usage}`);
  process.exit(2);
};

/** An ISO time, or an age before now: `30m`, `2h`, `1d`. */
function timeOf(text: string | undefined, option: string): Date | undefined {
  if (text === undefined) return undefined;
  const age = /^(\d+)([smhd])$/.exec(text);
  if (age) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(Date.now() - Number(age[1]) * unit);
  }
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? fail(`--${option} is neither an ISO time nor an age like 30m: ${text}`) : at;
}

const [command, ...rest] = positionals;
if (values.help || !command) {
  process.stdout.write(usage);
  process.exit(command || values.help ? 0 : 2);
}
let kafka: ReturnType<typeof loadKafkaConfig>;
try {
  kafka = loadKafkaConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  fail(err.message);
}
if (!kafka!.brokers) fail('KAFKA_BROKERS is not set: dead letters live in Kafka.');
const filter: DeadLetterFilter = {
  topic: values.topic,
  reason: values.reason,
  since: timeOf(values.since, 'since'),
  until: timeOf(values.until, 'until'),
  positions: command === 'show' ? rest : values.position,
};
const letters = openDeadLetters({ brokers: kafka!.brokers!, topicPrefix: kafka!.topicPrefix });

const line = (l: DeadLetter) =>
  [l.at.toISOString(), l.position, l.type, `key=${l.key}`, `replays=${l.replays}`, l.reason].join('  ');

try {
  switch (command) {
    case 'list': {
      const found = await letters.list(filter);
      for (const l of found)
        process.stdout.write(
          values.json ? `${JSON.stringify({ ...l, value: undefined, headers: undefined })}\n` : `${line(l)}\n`,
        );
      if (!values.json) process.stderr.write(`${found.length} dead letter${found.length === 1 ? '' : 's'}\n`);
      break;
    }
    case 'show': {
      if (rest.length === 0) fail('show needs the position of a dead letter, as list prints it');
      const found = await letters.list(filter);
      for (const l of found) {
        let message: unknown = l.value;
        try {
          message = JSON.parse(l.value);
        } catch {}
        process.stdout.write(`${JSON.stringify({ ...l, value: undefined, message }, null, 2)}\n`);
      }
      for (const p of rest.filter((p) => !found.some((l) => l.position === p)))
        process.stderr.write(`no dead letter at ${p}\n`);
      if (found.length < rest.length) process.exitCode = 1;
      break;
    }
    case 'replay': {
      const narrowed = values.topic || values.reason || values.since || values.until || values.position;
      if (!narrowed && !values.all)
        fail('replay sends messages back into the system: narrow it with a filter, or say --all');
      const found = await letters.list(filter);
      const guarded = found.filter((l) => !mayReplay(l, values.force));
      const chosen = found.filter((l) => mayReplay(l, values.force));
      for (const l of guarded)
        process.stderr.write(`not replayed (already ${l.replays} times; --force to insist): ${line(l)}\n`);
      for (const l of chosen) process.stdout.write(`${values['dry-run'] ? 'would replay' : 'replay'}  ${line(l)}\n`);
      if (!values['dry-run']) await letters.replay(chosen);
      process.stderr.write(
        `${values['dry-run'] ? 'would replay' : 'replayed'} ${chosen.length} to the topics they came from; ${guarded.length} held back by the loop guard\n`,
      );
      break;
    }
    case 'purge': {
      if (!values.topic) fail('purge needs --topic: it deletes one topic’s dead letters');
      if (values.reason || values.since || values.position)
        fail(
          'purge deletes everything before a moment (Kafka deletes from the start of a partition): only --until narrows it',
        );
      if (!values.yes) fail('purge deletes for good: add --yes');
      const deleted = await letters.purge(values.topic!, filter.until);
      process.stderr.write(`deleted ${deleted} dead letter${deleted === 1 ? '' : 's'} of ${values.topic}\n`);
      break;
    }
    default:
      fail(`unknown command ${command}`);
  }
} finally {
  await letters.close();
}
