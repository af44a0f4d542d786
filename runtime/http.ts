import type { Config, Health, HttpService, Logger, Metrics, RequestHandler, TokenVerifier } from '../kernel/index.ts';
import { listen } from '../kernel/index.ts';

/**
 * Serves one process's GraphQL handler on `port` with the configured HTTP settings and host;
 * `/stats` answers the local machine or an admin's token; failed requests are logged.
 */
export function serveHttp(
  { config, verifier, logger }: { config: Config; verifier: TokenVerifier; logger: Logger },
  {
    graphql,
    stats,
    extra,
    port,
    health,
    metrics,
  }: {
    graphql: RequestHandler;
    stats?: () => unknown;
    extra?: Parameters<typeof listen>[0]['extra'];
    port: number;
    health?: Health;
    metrics?: Metrics;
  },
): Promise<HttpService> {
  return listen({
    graphql,
    health,
    metrics,
    stats,
    extra,
    port,
    settings: config.http,
    opsVerifier: verifier,
    metricsToken: config.metricsToken,
    host: config.host,
    onError: (err) => logger.error({ err }, 'request failed'),
  });
}
