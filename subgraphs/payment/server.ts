import { topics } from '../../messaging/contract.ts';
import { startMessaging } from '../../messaging/runtime.ts';
import { createSubgraph, readSchema } from '../../platform/subgraph.ts';
import type { Service, ServiceDeps } from '../../platform/service.ts';
import { paymentHandlers } from './messages.ts';
import { paymentLoader, paymentResolvers } from './resolvers.ts';
import { inbox, outbox } from './tables.ts';

export const paymentTypeDefs = readSchema(new URL('./schema.graphql', import.meta.url));
export const paymentMigrations = { name: 'payment', schema: 'payments' };

/** The payment subgraph (`Order.payment`) and its saga participant. Never listens itself. */
export async function createPaymentService({ db, transport, config, logger, verifier }: ServiceDeps): Promise<Service> {
  const log = logger.child({ service: 'payment' });
  const { handler, apollo } = await createSubgraph({
    typeDefs: paymentTypeDefs,
    resolvers: paymentResolvers(),
    verifier,
    extendContext: (base) => ({ ...base, paymentsByOrder: paymentLoader(db) }),
  });
  const messaging = await startMessaging({
    name: 'payment',
    db,
    tables: { outbox, inbox },
    transport,
    handlers: paymentHandlers,
    topics: [topics.paymentCommands],
    pollMs: config.outboxPollMs,
    logger: log,
  });
  return {
    name: 'payment',
    graphql: handler,
    async stop() {
      await messaging.stop();
      await apollo.stop();
    },
  };
}
