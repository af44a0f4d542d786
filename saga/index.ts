// Public surface of saga/ — other folders import only this file (tests also testing.ts).
// A generic saga engine: a definition is data, `decide` is pure, the engine persists instances and
// writes commands through the outbox. It knows no domain.
export * from './admission.ts';
export * from './core.ts';
export * from './definition.ts';
export * from './engine.ts';
export * from './metrics.ts';
export * from './search.ts';
export * from './tables.ts';
