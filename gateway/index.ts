import { startTracing, stopTracing } from '../runtime/tracing.ts';

// Tracing first: its instrumentations patch the modules the gateway imports next.
await startTracing('gateway');
const { createDisposer, createLogger, createTokenVerifier, exitOnSignal } = await import('../kernel/index.ts');
const { configOrExit, openCache, openTransport } = await import('../runtime/index.ts');
const { serveGateway } = await import('./serve.ts');

const config = configOrExit();
const logger = createLogger(config.logLevel, 'gateway');
const disposer = createDisposer(logger);
exitOnSignal(disposer.dispose, logger);
disposer.use(stopTracing);
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
