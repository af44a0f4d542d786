import { afterAll, beforeAll } from 'vitest';
import { type RunningSystem, startSystem } from '../../harness/index.ts';

/**
 * The system as production runs it (NODE_ENV=production, every service its own process, real
 * Kafka, PostgreSQL and Redis, two gateway replicas), with small limits the security suites reach,
 * and raw HTTP requests to it.
 */
export const NOTEBOOK = '7a1c0e52-0009-4000-8000-000000000009';
export const MUG = '7a1c0e52-0008-4000-8000-000000000008';
export let system: RunningSystem;
/** alice's token. */
export let token: string;

/** Starts the system for the calling suite before its tests, and stops it after them. */
export function useProductionSystem(name: string) {
  beforeAll(async () => {
    system = await startSystem(name, {
      env: {
        NODE_ENV: 'production',
        HTTP_REQUEST_TIMEOUT_MS: '2000',
        HTTP_HEADERS_TIMEOUT_MS: '2000',
        RATE_LIMIT_MUTATIONS_PER_CUSTOMER_PER_MINUTE: '5',
        ORDER_MAX_OPEN_PER_CUSTOMER: '3',
        LIVE_MAX_CONNECTIONS_PER_CUSTOMER: '2',
        // Longer than any wait below: a revoked key refused in time was forgotten by its event.
        API_KEY_CACHE_SECONDS: '150',
      },
      // Two gateway replicas: a key revoked through one must stop working on both.
      replicas: { gateway: 2 },
    });
    token = await system.token('alice');
  });
  afterAll(() => system?.stop());
}

export type Answer = {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
};
/** A raw GraphQL-over-HTTP request to `url` (the gateway unless told). */
export async function post(
  body: unknown,
  {
    bearer = token,
    url = system.gatewayUrl,
    headers = {},
  }: { bearer?: string | null; url?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}
export const codeOf = (a: Answer) => a.body.errors?.[0]?.extensions?.code;
export const count = async (table: string, where = 'true') =>
  (await system.sql<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`))[0]!.n;
export const PLACE = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id status } } }';
export const place = (input: Record<string, unknown>, bearer = token) =>
  post(
    {
      query: PLACE,
      variables: { input: { items: [{ productId: MUG, quantity: 1 }], paymentToken: 'tok_visa', ...input } },
    },
    { bearer },
  );
