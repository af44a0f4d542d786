import { createRedisCache } from '../cache/index.ts';
import { describeReadModel } from '../cache/read-model.contract.ts';
import { requireRedis } from '../harness/index.ts';
import { createLogger } from '../kernel/index.ts';

describeReadModel('Redis', async () =>
  createRedisCache(await requireRedis(), createLogger('silent'), `sagaway-test:${process.pid}:`),
);
