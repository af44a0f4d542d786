import { createDisposer, createLogger, createTokenVerifier, exitOnSignal } from '../kernel/index.ts';
import { configOrExit, openCache, openTransport } from '../runtime/index.ts';
import { serveGateway } from './serve.ts';

const config = configOrExit();
const logger = createLogger(config.logLevel, 'gateway');
const disposer = createDisposer(logger);
exitOnSignal(disposer.dispose, logger);
try {
  const transport = await openTransport(config, logger, disposer);
  const cache = await openCache(config, logger, disposer);
  const verifier = createTokenVerifier(config.auth);
  const gateway = await serveGateway({ config, verifier, logger, transport, cache });
  disposer.use(gateway.close);
  logger.info(
    { url: `http://${config.host}:${gateway.port}/graphql`, subgraphs: config.subgraphUrls },
    'gateway ready',
  );
} catch (err) {
  logger.fatal({ err }, 'gateway failed to start');
  await disposer.dispose();
  process.exit(1);
}
