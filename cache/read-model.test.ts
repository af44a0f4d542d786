import { createMemoryCache } from './cache.ts';
import { describeReadModel } from './read-model.contract.ts';

describeReadModel('the in-process cache', async () => createMemoryCache());
