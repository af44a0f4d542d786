import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { DEVELOPMENT_JWT_SECRET } from './secrets.ts';

const PRODUCTION_SECRET = 'a'.repeat(16) + 'b'.repeat(16) + 'c'.repeat(8);

/** The message loading `env` fails with, or '' when it loads. */
const problem = (env: NodeJS.ProcessEnv) => {
  try {
    loadConfig(env);
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
};

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
    const config = loadConfig({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      KAFKA_BROKERS: 'a:9092, b:9093',
      REDIS_URL: 'redis://127.0.0.1:6379',
      INVENTORY_PORT: '5002',
      JWT_SECRET: PRODUCTION_SECRET,
      PAYMENT_TOKEN_KEY: PRODUCTION_SECRET.toUpperCase(),
      GATEWAY_SECRET: PRODUCTION_SECRET.replaceAll('a', 'g'),
    });
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

  it('runs development on the public development secret, and signs nothing with it in production', () => {
    const dev = loadConfig({});
    expect(dev.strict).toBe(false);
    expect(dev.auth.secret).toBe(DEVELOPMENT_JWT_SECRET);
    expect(
      loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
        JWT_SECRET: 'test-secret-0123456789',
      }).strict,
    ).toBe(false);
  });

  it('refuses production, or real infrastructure, without a secret of its own', () => {
    const real = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' };
    for (const env of [
      { NODE_ENV: 'production' },
      real,
      { REDIS_URL: 'redis://127.0.0.1:6379' },
      { KAFKA_BROKERS: '127.0.0.1:9092' },
    ]) {
      expect(problem(env)).toMatch(/JWT_SECRET: is required in production/);
    }
    expect(problem({ NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toMatch(
      /JWT_SECRET: is a public development value/,
    );
    expect(problem({ ...real, JWT_SECRET: 'only-twenty-characters' })).toMatch(
      /JWT_SECRET: must be at least 32 characters in production/,
    );
    // The secret itself is never echoed.
    expect(problem({ ...real, JWT_SECRET: 'only-twenty-characters' })).not.toContain('only-twenty');
    expect(problem({ METRICS_TOKEN: 'a-scrape-token-too-short' })).toMatch(/METRICS_TOKEN: must be at least 32/);
    expect(problem({ METRICS_TOKEN: 'a-scrape-token-too-short' })).not.toContain('a-scrape-token');
    expect(problem({ NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET })).toMatch(
      /PAYMENT_TOKEN_KEY: is required in production/,
    );
    expect(
      problem({
        NODE_ENV: 'production',
        JWT_SECRET: PRODUCTION_SECRET,
        PAYMENT_TOKEN_KEY: PRODUCTION_SECRET.toUpperCase(),
      }),
    ).toMatch(/GATEWAY_SECRET: is required in production/);
    expect(
      problem({ NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET, GATEWAY_SECRET: PRODUCTION_SECRET }),
    ).toMatch(/GATEWAY_SECRET: must differ from JWT_SECRET/);
    expect(
      problem({
        NODE_ENV: 'production',
        JWT_SECRET: PRODUCTION_SECRET,
        PAYMENT_TOKEN_KEY: PRODUCTION_SECRET.toUpperCase(),
        GATEWAY_SECRET: PRODUCTION_SECRET.replaceAll('a', 'g'),
      }),
    ).toBe('');
  });

  it("accepts an identity provider's JWKS instead of a secret in production", () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PAYMENT_TOKEN_KEY: PRODUCTION_SECRET,
      GATEWAY_SECRET: PRODUCTION_SECRET.toUpperCase(),
      JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      JWT_ISSUER: 'https://idp.example/',
    });
    expect(config.auth).toMatchObject({
      secret: undefined,
      jwksUrl: 'https://idp.example/.well-known/jwks.json',
      issuer: 'https://idp.example/',
      audience: 'sagaway-api',
    });
  });
});
