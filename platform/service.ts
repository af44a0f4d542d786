import type { Cache } from '../cache/cache.ts';
import type { Database, Db } from '../db/client.ts';
import type { Transport } from '../messaging/transport.ts';
import type { TokenVerifier } from './auth.ts';
import type { Config, ServiceName } from './config.ts';
import type { RequestHandler } from './http.ts';
import type { Logger } from './logger.ts';

/** What the composition root hands every service. */
export interface ServiceDeps {
  config: Config;
  database: Database;
  db: Db;
  transport: Transport;
  cache: Cache;
  logger: Logger;
  verifier: TokenVerifier;
}

/** A started service: its GraphQL endpoint and how to stop its consumers and relays. */
export interface Service {
  name: ServiceName;
  graphql: RequestHandler;
  /** Counters served at `/stats`. */
  stats?: () => Record<string, unknown>;
  stop(): Promise<void>;
}

export type ServiceFactory = (deps: ServiceDeps) => Promise<Service>;
