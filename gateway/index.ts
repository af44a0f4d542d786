import { createHs256Verifier } from '../platform/auth.ts';
import { listen } from '../platform/http.ts';
import { createDisposer, exitOnSignal } from '../platform/lifecycle.ts';
import { createLogger } from '../platform/logger.ts';
import { configOrExit } from '../platform/main.ts';
import { createGateway } from './server.ts';

const config = configOrExit();
const logger = createLogger(config.logLevel, 'gateway');
const disposer = createDisposer(logger);
exitOnSignal(disposer.dispose, logger);
try {
  const gateway = await createGateway({ config, verifier: createHs256Verifier(config.jwtSecret), logger });
  disposer.use(gateway.stop);
  const http = await listen({ graphql: gateway.graphql, port: config.ports.gateway, host: config.host, onError: (err) => logger.error({ err }, 'request failed') });
  disposer.use(http.close);
  logger.info({ url: `http://${config.host}:${http.port}/graphql`, subgraphs: config.subgraphUrls }, 'gateway ready');
} catch (err) {
  logger.fatal({ err }, 'gateway failed to start');
  await disposer.dispose();
  process.exit(1);
}
