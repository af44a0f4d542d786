import { createDisposer, createLogger, createTokenVerifier, exitOnSignal } from '../kernel/index.ts';
import { configOrExit, openCache, openTransport, serveHttp } from '../runtime/index.ts';
import { servePlayground } from './playground.ts';
import { createGateway } from './server.ts';

const config = configOrExit();
const logger = createLogger(config.logLevel, 'gateway');
const disposer = createDisposer(logger);
exitOnSignal(disposer.dispose, logger);
try {
  const transport = await openTransport(config, logger, disposer);
  const cache = await openCache(config, logger, disposer);
  const verifier = createTokenVerifier(config.auth);
  const gateway = await createGateway({ config, verifier, logger, transport, cache });
  const http = await serveHttp(
    { config, verifier, logger },
    {
      graphql: gateway.graphql,
      extra: config.playground ? servePlayground : undefined,
      stats: gateway.stats,
      port: config.ports.gateway,
    },
  );
  gateway.serveSubscriptions(http.server);
  // Subscriptions close before the HTTP server, which waits for open connections.
  disposer.use(http.close);
  disposer.use(gateway.stop);
  logger.info({ url: `http://${config.host}:${http.port}/graphql`, subgraphs: config.subgraphUrls }, 'gateway ready');
} catch (err) {
  logger.fatal({ err }, 'gateway failed to start');
  await disposer.dispose();
  process.exit(1);
}
