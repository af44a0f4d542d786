// Public surface of runtime/ — other folders import only this file (tests also testing.ts).
// What runs a service process: opening its infrastructure from config, and its lifecycle. Hosting a
// subgraph is runtime/subgraph/, which the gateway does not load.
export * from './http.ts';
export * from './infrastructure.ts';
export * from './main.ts';
export * from './service.ts';
