// Public surface of messaging/ — other folders import only this file or wire.ts (tests also testing.ts).
// Topics and messages (the wire contract), envelopes, the Kafka and in-process transports, and the
// transactional outbox and idempotent inbox on a service's own database.
export * from './dead-letters.ts';
export * from './inbox.ts';
export * from './outbox.ts';
export * from './participant.ts';
export * from './runtime.ts';
export * from './tables.ts';
export * from './wire.ts';
