import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('runs on the embedded defaults when no infrastructure is named', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.kafka.brokers).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.ports).toEqual({ gateway: 4000, order: 4001, inventory: 4002, payment: 4003 });
    expect(config.subgraphUrls.inventory).toBe('http://127.0.0.1:4002/graphql');
  });

  it('reads the real services and derives subgraph URLs from ports', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', KAFKA_BROKERS: 'a:9092, b:9093', REDIS_URL: 'redis://127.0.0.1:6379', INVENTORY_PORT: '5002' });
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(config.subgraphUrls.inventory).toBe('http://127.0.0.1:5002/graphql');
  });

  it('names every bad variable in one message', () => {
    let message = '';
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', KAFKA_BROKERS: 'no-port', GATEWAY_PORT: 'eighty', JWT_SECRET: 'short' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'GATEWAY_PORT', 'JWT_SECRET']) expect(message).toContain(name);
    expect(message).toContain('"eighty"');
    expect(message).not.toContain('short');
  });
});
