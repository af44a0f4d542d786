import { createSealer } from '../../kernel/index.ts';
import { topics } from '../../messaging/index.ts';
import type { Service, ServiceDeps } from '../../runtime/index.ts';
import { createSubgraphService, readSchema } from '../../runtime/subgraph/index.ts';
import { paymentHandlers } from './handlers.ts';
import { createSimulatedProvider } from './provider.ts';
import { paymentLoader, paymentResolvers } from './resolvers.ts';
import { inbox, outbox } from './tables.ts';

export const paymentTypeDefs = readSchema(new URL('./schema.graphql', import.meta.url));
export const paymentMigrations = { name: 'payment' };

/** The payment subgraph (`Order.payment`) and its saga participant. Never listens itself. */
export function createPaymentService(deps: ServiceDeps): Promise<Service> {
  return createSubgraphService(deps, {
    name: 'payment',
    typeDefs: paymentTypeDefs,
    tables: { outbox, inbox },
    handlers: paymentHandlers({
      db: deps.db,
      provider: createSimulatedProvider(deps.db),
      faults: deps.config.faults,
      sealer: createSealer(deps.config.paymentTokenKeys),
    }),
    topics: [topics.paymentCommands],
    resolvers: () => paymentResolvers(),
    extendContext: (base) => ({ ...base, paymentsByOrder: paymentLoader(deps.db) }),
  });
}
