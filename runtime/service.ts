import type { Cache } from '../cache/index.ts';
import type { Database, Db } from '../db/index.ts';
import type {
  Config,
  HealthCheck,
  Logger,
  Metrics,
  RequestHandler,
  ServiceName,
  TokenVerifier,
} from '../kernel/index.ts';
import type { Transport } from '../messaging/wire.ts';

/** What the composition root hands every service. */
export interface ServiceDeps {
  config: Config;
  database: Database;
  db: Db;
  transport: Transport;
  cache: Cache;
  logger: Logger;
  verifier: TokenVerifier;
  /** The service's Prometheus registry, served at `/metrics`. */
  metrics: Metrics;
}

/** A started service: its GraphQL endpoint and how to stop its consumers and relays. */
export interface Service {
  name: ServiceName;
  graphql: RequestHandler;
  /** Counters served at `/stats`. */
  stats?: () => Record<string, unknown>;
  /** What its readiness depends on beyond the database and cache (its consumers, its relay). */
  checks?: HealthCheck[];
  stop(): Promise<void>;
}

export type ServiceFactory = (deps: ServiceDeps) => Promise<Service>;
