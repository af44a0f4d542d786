// Public surface of runtime/subgraph/ — hosting one subgraph service: its Apollo subgraph server
// behind the gateway's signature and limits, with its outbox relay and idempotent consumer. Only
// subgraph services load it.
export * from './server.ts';
export * from './service.ts';
