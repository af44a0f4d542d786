import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Sql } from 'postgres';

/**
 * Spans for the statements a postgres.js client runs, by hand: no maintained instrumentation knows
 * postgres.js. A statement gets a client span only inside a traced operation (a request, a message,
 * a saga step): the relay's and the sweep's polling rounds, health checks and scrapes would
 * otherwise each start a trace of their own several times a second. The span holds the statement's
 * text with its placeholders (`$1`), never the values.
 */
const tracer = trace.getTracer('sagaway-db');

/** The statement's operation: its first keyword (`INSERT`, `SELECT`, `UPDATE`, …). */
const operationOf = (text: string) => /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';

/** A pending postgres.js query whose execution (its `then`, which starts it) runs in a span. */
function tracedQuery<Q extends object>(query: Q, text: string): Q {
  const proxy: Q = new Proxy(query, {
    get(target, prop) {
      if (prop === 'then') {
        return (onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) => {
          const parent = context.active();
          const then = (target as unknown as PromiseLike<unknown>).then.bind(target);
          if (!trace.getSpan(parent)?.isRecording()) return then(onFulfilled, onRejected);
          const operation = operationOf(text);
          const span = tracer.startSpan(
            operation,
            {
              kind: SpanKind.CLIENT,
              attributes: {
                'db.system.name': 'postgresql',
                'db.operation.name': operation,
                'db.query.text': text.length > 2000 ? `${text.slice(0, 2000)}…` : text,
              },
            },
            parent,
          );
          return then(
            (value) => {
              span.end();
              return onFulfilled ? onFulfilled(value) : value;
            },
            (err) => {
              span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
              span.end();
              if (onRejected) return onRejected(err);
              throw err;
            },
          );
        };
      }
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      // Modifiers (`values()`, `raw()`…) answer the query itself: keep answering the traced one.
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}

/** The client with every statement traced, in transactions and savepoints too. */
export function tracedSql<S extends Sql>(sql: S): S {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'unsafe')
        return (text: string, ...rest: unknown[]) =>
          tracedQuery((value as (...a: unknown[]) => object).call(target, text, ...rest), text);
      if (prop === 'begin' || prop === 'savepoint')
        return (...args: unknown[]) => {
          const i = args.findIndex((a) => typeof a === 'function');
          if (i >= 0) {
            const body = args[i] as (tx: Sql) => unknown;
            args[i] = (tx: Sql) => body(tracedSql(tx));
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      return value;
    },
  });
}
