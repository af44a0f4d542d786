// Public surface of messaging/ — other folders import only this file (tests also testing.ts).
// Topics and messages (the wire contract), envelopes, the Kafka and in-process transports, and the
// transactional outbox and idempotent inbox on a service's own database.
export * from './contract.ts';
export * from './envelope.ts';
export * from './inbox.ts';
export * from './kafka.ts';
export * from './memory.ts';
export * from './outbox.ts';
export * from './participant.ts';
export * from './runtime.ts';
export * from './tables.ts';
export * from './transport.ts';
