import { addResolversToSchema } from '@graphql-tools/schema';
import type { GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import type { StatusEvent } from '../events.ts';
import { dataOf } from './contract.ts';
import { markResolved, orderAsOf, orderFromEvent } from './order-query.ts';
import type { OrderPayloads } from './payloads.ts';
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
  apiSchema,
  subscribe,
  payloads,
}: {
  apiSchema: GraphQLSchema;
  /** `info`: the subscription's operation, whose `order` reads each queued event may start early. */
  subscribe: (orderId: string, context: LiveContext, info: GraphQLResolveInfo) => Promise<AsyncGenerator<StatusEvent>>;
  /** The events' `order` answers (`orderPayloads`). */
  payloads: OrderPayloads;
}) {
  // In place: the gateway's one copy of the public schema (the response cache reads only its types).
  return addResolversToSchema({
    schema: apiSchema,
    updateResolversInPlace: true,
    resolvers: {
      Subscription: {
        orderStatusChanged: {
          subscribe: (_: unknown, { orderId }: { orderId: string }, context: LiveContext, info: GraphQLResolveInfo) =>
            subscribe(orderId, context, info),
          resolve: (event: StatusEvent) => event,
        },
      },
      OrderStatusEvent: { order: orderResolver(payloads) },
    },
  });
}

/**
 * `order` of an event: from the event alone when it carries every field asked for, else the
 * shared, batched answer of the graph (`orderPayloads`), its own fields as of the event.
 */
function orderResolver(payloads: OrderPayloads): GraphQLFieldResolver<StatusEvent, LiveContext> {
  return async (event, _args, { session: { caller } }, info) => {
    if (payloads.carried(info)) return orderFromEvent(event);
    const order = dataOf<object>(await payloads.answer(event, caller, info), info.path.key as string);
    return order && orderAsOf(markResolved(order) as object, event);
  };
}
