import { makeExecutableSchema } from '@graphql-tools/schema';
import { type DocumentNode, type GraphQLFieldResolver, type OperationDefinitionNode, print } from 'graphql';
import type { StatusEvent } from '../events.ts';
import { dataOf, type GraphAnswer, type GraphQuery } from './contract.ts';
import { markResolved, orderQuery } from './order-query.ts';
import type { Session } from './stream.ts';

/** What the socket gives every resolver of a subscription. */
export type LiveContext = {
  session: Session;
  close: (code: number, reason: string) => void;
};

/**
 * The API schema with the socket's resolvers: `orderStatusChanged` streams the order's events
 * (the event's own fields come from the event), and `order` on an event is read through the
 * federated graph as the subscriber.
 */
export function liveSchema({
  apiSchemaSdl,
  subscribe,
  query,
}: {
  apiSchemaSdl: string;
  subscribe: (orderId: string, context: LiveContext) => Promise<AsyncGenerator<StatusEvent>>;
  query: GraphQuery;
}) {
  return makeExecutableSchema<LiveContext>({
    typeDefs: apiSchemaSdl,
    resolvers: {
      Subscription: {
        orderStatusChanged: {
          subscribe: (_: unknown, { orderId }: { orderId: string }, context: LiveContext) =>
            subscribe(orderId, context),
          resolve: (event: StatusEvent) => event,
        },
      },
      OrderStatusEvent: { order: sharedOrderResolver(query) },
    },
  });
}

/**
 * Every alias of `order` in an operation is read in one query (see `orderQuery`), and subscribers
 * of one order usually ask for the same fields as the same customer: each event is resolved once
 * per (event, caller, operation) and shared, for a few seconds.
 */
function sharedOrderResolver(query: GraphQuery): GraphQLFieldResolver<StatusEvent, LiveContext> {
  const queries = new WeakMap<OperationDefinitionNode, { document: DocumentNode; text: string }>();
  const shared = new Map<string, Promise<GraphAnswer>>();
  return (event, _args, { session: { caller } }, info) => {
    let built = queries.get(info.operation);
    if (!built) {
      const document = orderQuery(info);
      built = { document, text: print(document) };
      queries.set(info.operation, built);
    }
    const who = caller.identity.isAdmin ? `admin:${caller.identity.customerId}` : caller.identity.customerId;
    const key = `${event.orderId}:${event.version}:${who}:${built.text}`;
    let result = shared.get(key);
    if (!result) {
      result = query(built.document, { id: event.orderId }, caller);
      shared.set(key, result);
      setTimeout(() => shared.delete(key), 5000).unref();
    }
    return result.then((r) => markResolved(dataOf(r, info.path.key as string)));
  };
}
