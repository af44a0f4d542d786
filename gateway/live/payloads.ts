import { createHash } from 'node:crypto';
import { type DocumentNode, type GraphQLResolveInfo, type OperationDefinitionNode, print } from 'graphql';
import type { Cache } from '../../cache/index.ts';
import type { Caller } from '../api-keys.ts';
import type { StatusEvent } from '../events.ts';
import type { GraphAnswer, GraphQuery } from './contract.ts';
import { batchPrefix, batchQuery, carriedOnly, orderQuery } from './order-query.ts';

/** The federated read of a subscription operation's `order` fields, worked out once per operation. */
interface Reading {
  query: DocumentNode;
  hash: string;
  /** Only fields the event carries: nothing to read. */
  carried: boolean;
  batches: Map<number, DocumentNode>;
}

interface Waiting {
  key: string;
  event: StatusEvent;
  resolve(answer: GraphAnswer): void;
  reject(err: unknown): void;
}

/** The answer of one batched read for order `i`: its fields, and the errors on its path. */
function answerOf(batched: GraphAnswer, i: number): GraphAnswer {
  const prefix = batchPrefix(i);
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(batched.data ?? {}))
    if (key.startsWith(prefix)) data[key.slice(prefix.length)] = value;
  const errors = batched.errors?.filter((e) => {
    const path = (e as { path?: readonly (string | number)[] }).path;
    return !path || String(path[0]).startsWith(prefix);
  });
  return errors?.length ? { data, errors } : { data };
}

/**
 * The `order` payloads of live events. Subscribers of one order asking for the same fields as the
 * same caller share one answer per event. Answers are read in bursts: every event waiting in one
 * turn of the event loop, per caller and operation, is read in one federated query (up to
 * `maxBatch` orders). And every replica delivers the same payload for the same event: each reads,
 * and the first answer stored in the shared cache for (event, caller, operation) is the one every
 * replica delivers (one round trip after the read). Fields the event carries are served from
 * the event (see `fieldResolver`), so a selection of only those reads nothing at all.
 */
export function orderPayloads({
  query,
  shared,
  ttlSeconds = 60,
  maxBatch = 50,
}: {
  query: GraphQuery;
  shared?: Cache;
  ttlSeconds?: number;
  maxBatch?: number;
}) {
  const readings = new WeakMap<OperationDefinitionNode, Reading>();
  const answers = new Map<string, Promise<GraphAnswer>>();
  const waiting = new Map<string, { reading: Reading; caller: Caller; items: Waiting[] }>();

  const readingOf = (info: GraphQLResolveInfo): Reading => {
    let reading = readings.get(info.operation);
    if (!reading) {
      const document = orderQuery(info);
      reading = {
        query: document,
        hash: createHash('sha256').update(print(document)).digest('base64url'),
        carried: carriedOnly(document),
        batches: new Map(),
      };
      readings.set(info.operation, reading);
    }
    return reading;
  };

  async function read(reading: Reading, caller: Caller, items: Waiting[]): Promise<void> {
    for (let start = 0; start < items.length; start += maxBatch) {
      const chunk = items.slice(start, start + maxBatch);
      try {
        let document = reading.batches.get(chunk.length);
        if (!document) {
          document = batchQuery(reading.query, chunk.length);
          reading.batches.set(chunk.length, document);
        }
        const batched = await query(
          document,
          Object.fromEntries(chunk.map((w, i) => [`id${i}`, w.event.orderId])),
          caller,
        );
        const own = chunk.map((_, i) => JSON.stringify(answerOf(batched, i)));
        // The first answer stored for the event is everyone's (null: the cache failed, ours).
        const first = shared
          ? await shared.claim(
              chunk.map((w, i) => [`live:${w.key}`, own[i]!]),
              ttlSeconds,
            )
          : own;
        chunk.forEach((w, i) => {
          w.resolve(JSON.parse(first[i] ?? own[i]!) as GraphAnswer);
        });
      } catch (err) {
        for (const w of chunk) w.reject(err);
      }
    }
  }

  return {
    /** The operation's `order` fields need no read: the event carries them all. */
    carried: (info: GraphQLResolveInfo) => readingOf(info).carried,
    /** The answer for `order` of this event, as this caller and operation. */
    answer(event: StatusEvent, caller: Caller, info: GraphQLResolveInfo): Promise<GraphAnswer> {
      const reading = readingOf(info);
      const who = caller.identity.isAdmin ? `admin:${caller.identity.customerId}` : caller.identity.customerId;
      const key = `${event.orderId}:${event.version}:${who}:${reading.hash}`;
      let answer = answers.get(key);
      if (!answer) {
        answer = new Promise<GraphAnswer>((resolve, reject) => {
          const group = `${who}:${reading.hash}`;
          let batch = waiting.get(group);
          if (!batch) {
            batch = { reading, caller, items: [] };
            waiting.set(group, batch);
            setImmediate(() => {
              waiting.delete(group);
              const { items } = batch!;
              read(batch!.reading, batch!.caller, items).catch((err: unknown) => {
                for (const w of items) w.reject(err);
              });
            });
          }
          batch.items.push({ key, event, resolve, reject });
        });
        answers.set(key, answer);
        setTimeout(() => answers.delete(key), 5000).unref();
      }
      return answer;
    },
  };
}
