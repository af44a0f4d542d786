import type { z } from 'zod';

/** The secret `npm start` signs its demo tokens with: public, so never accepted outside development and tests. */
export const DEVELOPMENT_JWT_SECRET = 'sagaway-development-secret-change-me';
/** The development key that seals payment tokens: public too. */
export const DEVELOPMENT_PAYMENT_TOKEN_KEY = 'sagaway-development-payment-token-key';
/** The development secret the gateway signs its subgraph requests with: public too. */
export const DEVELOPMENT_GATEWAY_SECRET = 'sagaway-development-gateway-secret';
/** Secrets that are public (in this repository's history or docs) and so refused where it matters. */
const KNOWN_SECRETS = new Set([
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_PAYMENT_TOKEN_KEY,
  DEVELOPMENT_GATEWAY_SECRET,
  'change-me',
  'secret',
  'changeme',
]);
/** The shortest secret accepted in production. */
export const MIN_PRODUCTION_SECRET = 32;

/**
 * Production, or any process pointed at real infrastructure outside the test runner: no public
 * default may stand in for a secret there.
 */
export const isStrict = (e: {
  NODE_ENV: string;
  DATABASE_URL?: string;
  KAFKA_BROKERS?: string[];
  REDIS_URL?: string;
}) =>
  e.NODE_ENV === 'production' || (e.NODE_ENV !== 'test' && Boolean(e.DATABASE_URL || e.KAFKA_BROKERS || e.REDIS_URL));

/** Checks a secret the strict modes require; returns what is wrong with it, if anything. */
function secretProblem(
  value: string | undefined,
  { required = true }: { required?: boolean } = {},
): string | undefined {
  if (value === undefined)
    return required
      ? 'is required in production and with real infrastructure (NODE_ENV=production, DATABASE_URL, KAFKA_BROKERS or REDIS_URL set)'
      : undefined;
  if (KNOWN_SECRETS.has(value)) return 'is a public development value; generate one, e.g. `openssl rand -hex 32`';
  if (value.length < MIN_PRODUCTION_SECRET) return `must be at least ${MIN_PRODUCTION_SECRET} characters in production`;
  return undefined;
}

/** What the strict modes require of the secrets, as issues of the environment's schema. */
export function checkSecrets(
  e: {
    NODE_ENV: string;
    DATABASE_URL?: string;
    KAFKA_BROKERS?: string[];
    REDIS_URL?: string;
    JWT_SECRET?: string;
    JWT_JWKS_URL?: string;
    GATEWAY_SECRET?: string;
    PAYMENT_TOKEN_KEY?: string;
  },
  ctx: z.RefinementCtx,
): void {
  if (!isStrict(e)) return;
  // A JWKS URL alone is enough for user tokens; a secret, if given, must still be a real one.
  const jwt = secretProblem(e.JWT_SECRET, { required: e.JWT_JWKS_URL === undefined });
  if (jwt)
    ctx.addIssue({
      code: 'custom',
      path: ['JWT_SECRET'],
      message: e.JWT_JWKS_URL === undefined ? `${jwt} (or set JWT_JWKS_URL)` : jwt,
    });
  const gateway =
    secretProblem(e.GATEWAY_SECRET) ?? (e.GATEWAY_SECRET === e.JWT_SECRET ? 'must differ from JWT_SECRET' : undefined);
  if (gateway) ctx.addIssue({ code: 'custom', path: ['GATEWAY_SECRET'], message: gateway });
  const sealing = secretProblem(e.PAYMENT_TOKEN_KEY);
  if (sealing) ctx.addIssue({ code: 'custom', path: ['PAYMENT_TOKEN_KEY'], message: sealing });
}
