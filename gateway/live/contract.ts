import type { IncomingMessage, Server } from 'node:http';
import { type DocumentNode, GraphQLError, type GraphQLSchema } from 'graphql';
import type { Cache } from '../../cache/index.ts';
import type { Logger, QueryLimits } from '../../kernel/index.ts';
import { ErrorCode } from '../../kernel/index.ts';
import type { Authenticator, Caller } from '../api-keys.ts';
import type { OrderEventHub } from '../events.ts';

/** Close codes of the subscription endpoint, beside graphql-ws's own (4403 Forbidden: a bad token). */
export enum LiveCloseCode {
  /** The client did not read its events fast enough; its queue reached the bound. */
  SubscriberTooSlow = 4413,
  /** The customer already holds as many connections as one may. */
  TooManyConnections = 4429,
}

export interface GraphAnswer {
  data?: Record<string, unknown> | null;
  errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
}

/** Runs a query through the federated graph as the given caller. */
export type GraphQuery = (
  document: DocumentNode,
  variables: Record<string, unknown>,
  caller: Caller,
) => Promise<GraphAnswer>;

export interface LiveOptions {
  server: Server;
  /** The public schema, built once by the gateway; the socket's resolvers are added to it. */
  apiSchema: GraphQLSchema;
  hub: OrderEventHub;
  query: GraphQuery;
  /** Where replicas agree on each event's `order` payload (absent: each replica reads its own). */
  shared?: Cache;
  /** Bearer tokens and API keys, as over HTTP. */
  authenticate: Authenticator['authenticate'];
  logger: Logger;
  /** Events held for one subscription before its client is closed as too slow. */
  maxQueue?: number;
  /** Subscriptions one connection may hold at once. */
  maxSubscriptionsPerConnection?: number;
  /** Connections one customer may hold open on this replica. */
  maxConnectionsPerCustomer?: number;
  /** The same limits as HTTP: depth, aliases, cost, page sizes, introspection, and the largest frame. */
  limits: QueryLimits & { maxBodyBytes: number };
  /** How long a socket may stay open without a valid `connection_init`. */
  connectionInitTimeoutMs?: number;
  /** Other origins whose browser pages may open the socket (besides the gateway's own). */
  corsOrigins?: string[];
  /** Counts a connection against its client address: milliseconds to wait, or 0. */
  admitAddress?: (request: IncomingMessage) => Promise<number>;
}

export const coded = (message: string, code: string) => new GraphQLError(message, { extensions: { code } });

/** Raises the first GraphQL error of a gateway answer with its code, or returns its data. */
export function dataOf<T>(result: GraphAnswer, path: string): T | null {
  const value = result.data?.[path];
  if ((value === null || value === undefined) && result.errors?.length) {
    const first = result.errors[0]!;
    throw coded(first.message, String(first.extensions?.code ?? ErrorCode.Internal));
  }
  return (value ?? null) as T | null;
}
