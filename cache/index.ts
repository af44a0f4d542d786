// Public surface of cache/ — other folders import only this file (tests also testing.ts).
// Redis and in-memory caches behind one contract, and versioned read models on them.
export * from './cache.ts';
export * from './read-model.ts';
