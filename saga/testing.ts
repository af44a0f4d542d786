import type { Database } from '../db/index.ts';
import { createTables } from '../db/testing.ts';
import { sagaInstances, sagaSchema } from './tables.ts';

/** For tests of the engine: its `saga.instances` table, from the definition the services migrate. */
export const createSagaTables = (database: Database) => createTables(database, { sagaSchema, sagaInstances });
