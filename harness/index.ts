// The harness that drives whole systems, for the e2e suites, chaos and the benchmarks: processes
// and their supervisor, the system's topology on real infrastructure, test databases, waits,
// invariants, Chromium for the browser tests, what the benchmarks measure with, and the demo
// catalog's ids.
export { demoCatalog } from '../subgraphs/inventory/seed.ts';
export * from './browser.ts';
export * from './infrastructure.ts';
export * from './invariants.ts';
export * from './measure.ts';
export * from './module-graph.ts';
export * from './processes.ts';
export * from './system.ts';
export * from './tcp-proxy.ts';
export * from './waits.ts';
