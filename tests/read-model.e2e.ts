import { createRedisCache } from '../cache/index.ts';
import { describeReadModel } from '../cache/read-model.contract.ts';
import { createLogger } from '../kernel/index.ts';
import { requireRedis } from './support/infrastructure.ts';

describeReadModel('Redis', async () =>
  createRedisCache(await requireRedis(), createLogger('silent'), `sagaway-test:${process.pid}:`),
);
