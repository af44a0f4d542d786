import { readFileSync } from 'node:fs';
import { ApolloGateway, type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { supergraphPath } from '../gateway/schema.ts';
// The signer alone: a vanilla gateway loads nothing else of this project.
import { GATEWAY_SIGNATURE_HEADER, signGatewayRequest } from '../kernel/gateway-signature.ts';

/**
 * The reference `npm run bench:gateway` measures sagaway's gateway against, run as its own process:
 * a plain `new ApolloGateway({ supergraphSdl })` on `@apollo/server`'s standalone server over the
 * same supergraph and subgraph processes, forwarding only the authorization header. One addition,
 * which any gateway in front of these subgraphs needs: they answer only requests signed with
 * GATEWAY_SECRET, so the default fetcher's requests are signed (one HMAC per subgraph request).
 *
 * Environment: PORT, GATEWAY_SECRET, ORDER_URL, INVENTORY_URL, PAYMENT_URL.
 */
type Context = { authorization?: string };
const env = process.env;
const urls: Record<string, string | undefined> = {
  order: env.ORDER_URL,
  inventory: env.INVENTORY_URL,
  payment: env.PAYMENT_URL,
};
const secret = env.GATEWAY_SECRET ?? '';

class Forwarding extends RemoteGraphQLDataSource<Context> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>): void {
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(supergraphPath, 'utf8'),
  buildService: ({ name }) => {
    const source = new Forwarding({ url: urls[name] });
    const fetcher = source.fetcher;
    source.fetcher = (url, init) => {
      const headers = { ...(init?.headers as Record<string, string>) };
      const authorization = Object.entries(headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1] ?? '';
      headers[GATEWAY_SIGNATURE_HEADER] = signGatewayRequest(secret, String(init?.body ?? ''), authorization);
      return fetcher(url, { ...init, headers });
    };
    return source;
  },
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: Number(env.PORT) },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
process.stdout.write(`vanilla gateway ready at ${url}\n`);
