import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse } from 'graphql';
import type { Identity, Logger, Metrics, TokenVerifier } from '../../kernel/index.ts';
import {
  correlationIdOf,
  DateTime,
  Decimal,
  forbidden,
  formatError,
  GATEWAY_SIGNATURE_HEADER,
  gatewayRequestVerifier,
  graphqlHandler,
  graphqlRequestMetrics,
  logUnexpectedErrors,
  type QueryLimits,
  queryLimitsPlugin,
  type RequestHandler,
  rethrowAsGraphQL,
} from '../../kernel/index.ts';

/** What every subgraph resolver knows about the request. */
export interface SubgraphContext {
  identity: Identity;
  /** The caller's bearer token, forwarded when this subgraph calls another. */
  authorization: string;
  correlationId: string;
}

export const readSchema = (url: URL): string => readFileSync(url, 'utf8');

/** What a subgraph checks before it answers: the gateway's signature and the gateway's limits. */
export interface SubgraphGuard {
  gatewaySecret: string;
  limits: QueryLimits & { maxBodyBytes: number };
  production: boolean;
}

/**
 * Builds a subgraph's Apollo server and its HTTP handler. Every request must be signed by the
 * gateway (only the gateway holds GATEWAY_SECRET; `_service` and everything else answer it alone)
 * and carry a valid bearer token, which the subgraph verifies itself rather than trusting the
 * gateway blindly; the gateway's body, depth, alias and cost limits apply here too.
 */
export async function createSubgraph<C extends SubgraphContext>({
  typeDefs,
  resolvers,
  verifier,
  extendContext,
  logger,
  guard,
  metrics,
}: {
  logger: Logger;
  guard: SubgraphGuard;
  /** Where its GraphQL requests are counted. */
  metrics?: Metrics;
  typeDefs: string;
  /** The subgraph's resolvers, typed by its generated `Resolvers`. */
  resolvers: object;
  verifier: TokenVerifier;
  extendContext: (base: SubgraphContext) => C;
}): Promise<{ apollo: ApolloServer<C>; handler: RequestHandler }> {
  const apollo = new ApolloServer<C>({
    // The process's own shutdown stops this server in its turn (kernel/lifecycle.ts); Apollo's
    // handler would stop it at once and then signal the process again, cutting that shutdown short.
    stopOnTerminationSignals: false,
    schema: buildSubgraphSchema({
      typeDefs: parse(typeDefs),
      resolvers: { DateTime, Decimal, ...resolvers } as GraphQLResolverMap<unknown>,
    }),
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: guard.limits.introspection,
    hideSchemaDetailsFromClientErrors: guard.production,
    // Inline traces serve Apollo's hosted studio, which this system does not report to.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      queryLimitsPlugin(guard.limits),
      logUnexpectedErrors(logger),
      ...(metrics ? [graphqlRequestMetrics<C>(metrics).plugin] : []),
    ],
  });
  await apollo.start();
  const context = async (req: IncomingMessage): Promise<C> => {
    const authorization = req.headers.authorization ?? '';
    const identity = await verifier.verify(authorization).catch(rethrowAsGraphQL);
    return extendContext({ identity, authorization, correlationId: correlationIdOf(req) });
  };
  const fromGateway = gatewayRequestVerifier(guard.gatewaySecret);
  const admit = (req: IncomingMessage, body: string) => {
    const header = req.headers[GATEWAY_SIGNATURE_HEADER];
    const refusal = fromGateway(typeof header === 'string' ? header : undefined, body, req.headers.authorization ?? '');
    return refusal ? forbidden(refusal) : undefined;
  };
  return { apollo, handler: graphqlHandler(apollo, context, { maxBodyBytes: guard.limits.maxBodyBytes, admit }) };
}
