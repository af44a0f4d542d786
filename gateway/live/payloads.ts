import { createHash } from 'node:crypto';
import {
  type DocumentNode,
  type FieldNode,
  type GraphQLResolveInfo,
  Kind,
  type OperationDefinitionNode,
  print,
} from 'graphql';
import type { Cache } from '../../cache/index.ts';
import type { Caller } from '../api-keys.ts';
import type { StatusEvent } from '../events.ts';
import type { GraphAnswer, GraphQuery } from './contract.ts';
import { BATCH_ID, batchQuery, carriedOnly, orderQuery } from './order-query.ts';

/** The federated read of a subscription operation's `order` fields, worked out once per operation. */
interface Reading {
  query: DocumentNode;
  hash: string;
  /** Only fields the event carries: nothing to read. */
  carried: boolean;
  /** The response keys of `query`'s `order` fields (and of the batch's lists). */
  keys: string[];
  /** `query` for many orders at once (`batchQuery`), made on first use. */
  batch?: DocumentNode;
}

interface Waiting {
  key: string;
  event: StatusEvent;
  resolve(answer: GraphAnswer): void;
  reject(err: unknown): void;
}

type Edges = { edges?: { node?: Record<string, unknown> | null }[] } | null;

/**
 * The answer of one batched read for one order: under each response key the node carrying its id
 * (without that id), or null; the errors of the read as a whole and those on that node's path.
 */
function answerOf(batched: GraphAnswer, orderId: string): GraphAnswer {
  const data: Record<string, unknown> = {};
  const at = new Map<string, number>();
  for (const [key, value] of Object.entries(batched.data ?? {})) {
    const edges = (value as Edges)?.edges ?? [];
    const index = edges.findIndex((e) => e.node?.[BATCH_ID] === orderId);
    at.set(key, index);
    const node = index < 0 ? null : { ...edges[index]!.node };
    if (node) delete node[BATCH_ID];
    data[key] = node;
  }
  const errors = batched.errors?.filter((e) => {
    const path = (e as { path?: readonly (string | number)[] }).path;
    // [key, 'edges', index, 'node', …]: one order's; shorter: the read's or a whole list's.
    return !path || path.length < 3 || at.get(String(path[0])) === path[2];
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
  const reads = { batched: 0, alone: 0 };
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
        keys: document.definitions.flatMap((d) =>
          d.kind === Kind.OPERATION_DEFINITION
            ? d.selectionSet.selections.map((f) => (f as FieldNode).alias?.value ?? 'order')
            : [],
        ),
      };
      readings.set(info.operation, reading);
    }
    return reading;
  };

  /**
   * The answers for these orders, by id: one batched read; but when a list of it came back null (an
   * error in a field that may not be null fails the whole list), each order is read on its own, so
   * one order's failure stays that order's.
   */
  async function answersFor(reading: Reading, ids: string[], caller: Caller): Promise<Map<string, GraphAnswer>> {
    reading.batch ??= batchQuery(reading.query);
    reads.batched++;
    const batched = await query(reading.batch, { ids, first: ids.length }, caller);
    if (reading.keys.every((key) => batched.data?.[key])) return new Map(ids.map((id) => [id, answerOf(batched, id)]));
    // Also when the list read is refused by a limit its extra levels crossed: correct, only slower.
    reads.alone += ids.length;
    const alone = await Promise.all(ids.map((id) => query(reading.query, { id }, caller)));
    return new Map(ids.map((id, i) => [id, alone[i]!]));
  }

  async function read(reading: Reading, caller: Caller, items: Waiting[]): Promise<void> {
    for (let start = 0; start < items.length; start += maxBatch) {
      const chunk = items.slice(start, start + maxBatch);
      try {
        // Two events of one order in a burst share its read: it is at least as new as both.
        const answers = await answersFor(reading, [...new Set(chunk.map((w) => w.event.orderId))], caller);
        const own = chunk.map((w) => JSON.stringify(answers.get(w.event.orderId)));
        // The first answer stored for the event is everyone's (null: the cache failed, ours).
        const first = shared
          ? await shared.claim(
              chunk.map((w, i) => [`live:${w.key}`, own[i]!]),
              ttlSeconds,
            )
          : own;
        // Parsed per event even when ours was stored: two events of one order share a read, and
        // each needs an order object of its own to be served as of itself (`orderAsOf`).
        chunk.forEach((w, i) => {
          w.resolve(JSON.parse(first[i] ?? own[i]!) as GraphAnswer);
        });
      } catch (err) {
        for (const w of chunk) w.reject(err);
      }
    }
  }

  /** The answer for `order` of this event, as this caller and operation. */
  function answer(event: StatusEvent, caller: Caller, info: GraphQLResolveInfo): Promise<GraphAnswer> {
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
            // `read` settles every item itself, failures included.
            void read(batch!.reading, batch!.caller, batch!.items);
          });
        }
        batch.items.push({ key, event, resolve, reject });
      });
      answers.set(key, answer);
      setTimeout(() => answers.delete(key), 5000).unref();
    }
    return answer;
  }

  return {
    stats: () => ({ ...reads }),
    /** The operation's `order` fields need no read: the event carries them all. */
    carried: (info: GraphQLResolveInfo) => readingOf(info).carried,
    answer,
    /**
     * Starts reading `order` of an event as soon as it is queued for a subscriber of this operation
     * (nothing when the event carries every field asked for); `answer` later finds it under way or
     * done. A failure surfaces there, when the event is delivered.
     */
    prefetch(event: StatusEvent, caller: Caller, info: GraphQLResolveInfo): void {
      if (!readingOf(info).carried) answer(event, caller, info).catch(() => {});
    },
  };
}

export type OrderPayloads = ReturnType<typeof orderPayloads>;
