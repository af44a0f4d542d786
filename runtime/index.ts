// Public surface of runtime/ — other folders import only this file (tests also testing.ts).
// What runs a service process: opening its infrastructure from config, its lifecycle, and hosting a
// subgraph with its consumers and relays.
export * from './infrastructure.ts';
export * from './main.ts';
export * from './service.ts';
export * from './subgraph.ts';
export * from './subgraph-service.ts';
