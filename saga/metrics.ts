import type { Db } from '../db/index.ts';
import { type Metrics, sharedRead } from '../kernel/index.ts';
import type { SagaEngine, SagaObservation } from './engine.ts';

/**
 * The sagas of one type still open, by status, and the running ones past their deadline, read from
 * the saga table at each scrape (one query for both): what someone on call looks at first. STUCK is
 * the one to alert on — its compensation could not finish and waits for a person.
 */
export function sagaMetrics(
  metrics: Metrics,
  { saga, engine, db }: { saga: string; engine: SagaEngine<unknown>; db: Db },
) {
  const census = sharedRead(() => engine.census(db));
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

/** Saga and step durations reach from milliseconds to the deadline (30 s by default) and past it. */
const SAGA_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * What sagas of one type did, counted once each transition committed: started, finished by
 * outcome with their duration, stuck; per step (and its compensation) the attempts sent and the
 * time from its first attempt to its outcome.
 */
export function sagaObserver(metrics: Metrics, saga: string): (observation: SagaObservation) => void {
  const started = metrics.counter('sagaway_sagas_started_total', 'Sagas started', ['saga']);
  const finished = metrics.counter('sagaway_sagas_finished_total', 'Sagas finished, by outcome', ['saga', 'outcome']);
  const stuck = metrics.counter(
    'sagaway_sagas_stuck_total',
    'Sagas whose compensation could not finish (they wait for a person: retrySagas, compensateSaga)',
    ['saga'],
  );
  const duration = metrics.histogram(
    'sagaway_saga_duration_seconds',
    "From a saga's start to its end, by outcome",
    ['saga', 'outcome'],
    SAGA_BUCKETS,
  );
  const steps = metrics.histogram(
    'sagaway_saga_step_duration_seconds',
    "From a step's first attempt to its outcome (a compensation is its own step)",
    ['saga', 'step', 'kind', 'outcome'],
    SAGA_BUCKETS,
  );
  const attempts = metrics.counter('sagaway_saga_step_attempts_total', 'Attempts of each step sent', [
    'saga',
    'step',
    'kind',
  ]);
  const kind = (compensation: boolean) => (compensation ? 'compensation' : 'action');
  return (o) => {
    switch (o.kind) {
      case 'started':
        started.inc({ saga });
        return;
      case 'finished':
        finished.inc({ saga, outcome: o.outcome });
        duration.observe({ saga, outcome: o.outcome }, o.seconds);
        return;
      case 'stuck':
        stuck.inc({ saga });
        return;
      case 'step':
        steps.observe(
          { saga, step: o.step, kind: kind(o.compensation), outcome: o.outcome.toLowerCase() },
          Math.max(0, o.seconds),
        );
        return;
      case 'attempts':
        attempts.inc({ saga, step: o.step, kind: kind(o.compensation) }, o.count);
        return;
      default: {
        const never: never = o;
        return never;
      }
    }
  };
}
