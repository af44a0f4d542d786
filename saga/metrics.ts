import type { Db } from '../db/index.ts';
import type { Metrics } from '../kernel/index.ts';
import type { SagaEngine } from './engine.ts';

/**
 * The sagas of one type still open, by status, and the running ones past their deadline, read from
 * the saga table at each scrape (one query for both): what someone on call looks at first. STUCK is
 * the one to alert on — its compensation could not finish and waits for a person.
 */
export function sagaMetrics(
  metrics: Metrics,
  { saga, engine, db }: { saga: string; engine: SagaEngine<unknown>; db: Db },
) {
  let reading: ReturnType<SagaEngine<unknown>['census']> | undefined;
  const census = () => {
    reading ??= engine.census(db).finally(() => setImmediate(() => (reading = undefined)));
    return reading;
  };
  metrics.gauge('sagaway_sagas_open', 'Sagas not finished, by status', ['saga', 'status'], async (g) => {
    const { open } = await census();
    for (const [status, n] of Object.entries(open)) g.set({ saga, status }, n);
  });
  metrics.gauge(
    'sagaway_sagas_past_deadline',
    'Running sagas past their deadline that the sweep has not failed yet',
    ['saga'],
    async (g) => g.set({ saga }, (await census()).pastDeadline),
  );
}
