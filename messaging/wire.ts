// The second public surface of messaging/: the wire alone — topics and messages, envelopes, the Kafka
// and in-process transports — for a process that sends and receives messages but keeps no outbox or
// inbox (the gateway). It loads no database code; index.ts is this plus the durable side.
export * from './contract.ts';
export * from './envelope.ts';
export * from './kafka.ts';
export * from './memory.ts';
export * from './tracing.ts';
export * from './transport.ts';
