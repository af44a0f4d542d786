import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Identity, TokenVerifier } from '../platform/auth.ts';
import type { Config, ServiceName } from '../platform/config.ts';
import { formatError, rethrowAsGraphQL } from '../platform/errors.ts';
import { CORRELATION_HEADER, correlationIdOf, graphqlHandler, type RequestHandler } from '../platform/http.ts';
import type { Logger } from '../platform/logger.ts';
import { supergraphPath } from './compose.ts';
import { queryLimitsPlugin } from './protections.ts';

export interface GatewayContext extends BaseContext {
  identity: Identity;
  authorization: string;
  correlationId: string;
}

/** Forwards the caller's token and correlation id: each subgraph authorizes on its own. */
class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (!('authorization' in context)) return;
    request.http?.headers.set('authorization', context.authorization);
    request.http?.headers.set(CORRELATION_HEADER, context.correlationId);
  }
}

/**
 * The federated gateway over the committed supergraph. Requests without a valid token are refused
 * here, before any subgraph is asked. Never listens itself.
 */
export async function createGateway({ config, verifier, logger }: { config: Config; verifier: TokenVerifier; logger: Logger }): Promise<{ graphql: RequestHandler; stop(): Promise<void> }> {
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(supergraphPath, 'utf8'),
    buildService: ({ name }) =>
      new ForwardingDataSource({
        url: config.subgraphUrls[name as ServiceName],
        // A subgraph that hangs must not hang the client: its fields fail, the rest answers.
        fetcher: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(config.subgraphTimeoutMs) }),
      }),
    logger: logger.child({ service: 'gateway' }),
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError,
    includeStacktraceInErrorResponses: false,
    plugins: [queryLimitsPlugin(config.limits)],
  });
  await apollo.start();
  const context = async (req: IncomingMessage): Promise<GatewayContext> => {
    const authorization = req.headers.authorization ?? '';
    return { identity: await verifier.verify(authorization).catch(rethrowAsGraphQL), authorization, correlationId: correlationIdOf(req) };
  };
  return { graphql: graphqlHandler(apollo, context, { maxBodyBytes: config.limits.maxBodyBytes }), stop: () => apollo.stop() };
}
