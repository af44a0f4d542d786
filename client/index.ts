import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import {
  CancelOrderDocument,
  CompensateSagaDocument,
  OrderDocument,
  OrderStatusChangedDocument,
  type OrderStatusChangedSubscription,
  OrderStatusDocument,
  OrderStatusOnlyDocument,
  type OrderStatusOnlySubscription,
  OrdersDocument,
  type OrdersQueryVariables,
  PlaceOrderDocument,
  type PlaceOrderInput,
  ProductDocument,
  ProductsDocument,
  type ProductsQueryVariables,
  RestockProductDocument,
  RetrySagaDocument,
  RetrySagasDocument,
  SagaCountsDocument,
  SagaDocument,
  type SagaFilter,
  SagasDocument,
  type SagasQueryVariables,
} from './generated/graphql.ts';

export type * from './generated/graphql.ts';

/**
 * A GraphQL error answered by the gateway; `code` is its `extensions.code` (e.g. FORBIDDEN).
 * `retryAfterMs` is set when the request may be sent again after that long (SERVICE_UNAVAILABLE,
 * RATE_LIMITED): from `extensions.retryAfterMs`, else the `Retry-After` header.
 */
export class GraphQLClientError extends Error {
  override name = 'GraphQLClientError';
  readonly retryAfterMs: number | undefined;
  constructor(
    readonly code: string,
    message: string,
    readonly errors: { message: string; extensions?: Record<string, unknown> }[],
    readonly data: unknown,
    retryAfterMs?: number,
  ) {
    super(message);
    const given = errors[0]?.extensions?.retryAfterMs;
    this.retryAfterMs = typeof given === 'number' ? given : retryAfterMs;
  }

  /** The system refused for now (busy, or a part of it down): the same request may succeed later. */
  get retriable(): boolean {
    return this.code === 'SERVICE_UNAVAILABLE' || this.code === 'RATE_LIMITED';
  }
}

export interface ClientOptions {
  /** The gateway's GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /** A bearer token (without the `Bearer ` prefix). */
  token?: string;
  /** Or a machine client's API key (sent as `x-api-key`, and as `apiKey` on the socket). */
  apiKey?: string;
  fetch?: typeof globalThis.fetch;
  /** A WebSocket implementation for subscriptions; default: the global one, else the `ws` package. */
  webSocketImpl?: unknown;
}

/** Close codes of the gateway's graphql-ws endpoint that carry a contract error code. */
const closeCodes: Record<number, string> = {
  4401: 'UNAUTHENTICATED',
  4403: 'UNAUTHENTICATED',
  // The gateway's: this client read its events too slowly and was dropped; subscribe again (the snapshot comes first).
  4413: 'SUBSCRIBER_TOO_SLOW',
  // The gateway's cap on connections per customer or address, and graphql-ws's own for repeated connection_init.
  4429: 'RATE_LIMITED',
};

const toClientError = (err: unknown): GraphQLClientError => {
  if (err instanceof GraphQLClientError) return err;
  const close = err as { code?: number; reason?: string };
  if (typeof close?.code === 'number')
    return new GraphQLClientError(
      closeCodes[close.code] ?? 'INTERNAL_SERVER_ERROR',
      close.reason || `connection closed (${close.code})`,
      [],
      null,
    );
  // A browser's WebSocket tells only that it failed (an `error` Event), never why: the upgrade was
  // refused (an origin the gateway does not allow), or nothing answered.
  if (!(err instanceof Error) && typeof (err as { type?: unknown })?.type === 'string')
    return new GraphQLClientError(
      'INTERNAL_SERVER_ERROR',
      `the subscription connection failed (WebSocket ${(err as { type: string }).type})`,
      [],
      null,
    );
  const list = Array.isArray(err) ? (err as GraphQLClientError['errors']) : undefined;
  if (list?.length)
    return new GraphQLClientError(
      String(list[0]!.extensions?.code ?? 'INTERNAL_SERVER_ERROR'),
      list[0]!.message,
      list,
      null,
    );
  return new GraphQLClientError('INTERNAL_SERVER_ERROR', err instanceof Error ? err.message : String(err), [], null);
};

/**
 * The typed SDK: one method per contract operation, generated documents underneath.
 * Any GraphQL error throws a `GraphQLClientError` carrying the first error's code.
 */
export function createClient({ url, token, apiKey, fetch = globalThis.fetch, webSocketImpl }: ClientOptions) {
  const credentials: Record<string, string> = token
    ? { authorization: `Bearer ${token}` }
    : apiKey
      ? { 'x-api-key': apiKey }
      : {};
  let ws: Promise<WsClient> | undefined;
  const socket = () =>
    (ws ??= (async () =>
      createWsClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl:
          webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket ?? (await import('ws')).WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : apiKey ? { apiKey } : {},
        lazy: true,
        retryAttempts: 0,
      }))());

  /** A subscription as an async iterable; GraphQL errors and refusals throw `GraphQLClientError`. */
  async function* subscribe<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
  ): AsyncGenerator<R> {
    const client = await socket();
    const results = client.iterate<R>({ query: print(document), variables });
    try {
      for await (const result of results) {
        if (result.errors?.length) throw toClientError(result.errors);
        yield result.data as R;
      }
    } catch (err) {
      throw toClientError(err);
    } finally {
      await results.return?.();
    }
  }

  async function request<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...credentials,
      },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json().catch(() => null)) as {
      data?: R | null;
      errors?: GraphQLClientError['errors'];
    } | null;
    const retryAfter = Number(response.headers.get('retry-after'));
    const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined;
    if (!body) {
      const code = response.status === 503 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR';
      throw new GraphQLClientError(code, `HTTP ${response.status} without a GraphQL body`, [], null, retryAfterMs);
    }
    if (body.errors?.length) {
      const first = body.errors[0]!;
      throw new GraphQLClientError(
        String(first.extensions?.code ?? 'INTERNAL_SERVER_ERROR'),
        first.message,
        body.errors,
        body.data ?? null,
        retryAfterMs,
      );
    }
    return body.data as R;
  }

  return {
    request,
    products: async (variables: ProductsQueryVariables = {}) => (await request(ProductsDocument, variables)).products,
    product: async (id: string) => (await request(ProductDocument, { id })).product,
    restockProduct: async (productId: string, quantity: number) =>
      (await request(RestockProductDocument, { productId, quantity })).restockProduct,
    placeOrder: async (input: PlaceOrderInput) => (await request(PlaceOrderDocument, { input })).placeOrder.order,
    order: async (id: string) => (await request(OrderDocument, { id })).order,
    /** The order's status and saga progress only: answered by the order service alone. */
    orderStatus: async (id: string) => (await request(OrderStatusDocument, { id })).order,
    orders: async (variables: OrdersQueryVariables = {}) => (await request(OrdersDocument, variables)).orders,
    /** The order's status events: the current state first, then every change; ends after a final status. */
    orderStatusChanged: async function* (
      orderId: string,
    ): AsyncGenerator<OrderStatusChangedSubscription['orderStatusChanged']> {
      for await (const data of subscribe(OrderStatusChangedDocument, { orderId })) yield data.orderStatusChanged;
    },
    /** The order's status events without the order itself: the lightest way to follow a saga. */
    orderStatusOnly: async function* (
      orderId: string,
    ): AsyncGenerator<OrderStatusOnlySubscription['orderStatusChanged']> {
      for await (const data of subscribe(OrderStatusOnlyDocument, { orderId })) yield data.orderStatusChanged;
    },
    /** Closes the subscription connection, if one was opened. */
    async dispose() {
      if (ws) await (await ws).dispose();
    },
    cancelOrder: async (id: string) => (await request(CancelOrderDocument, { id })).cancelOrder,
    retrySaga: async (orderId: string) => (await request(RetrySagaDocument, { orderId })).retrySaga,
    /** Admin only: sagas newest first, narrowed by status, step, start time or a passed deadline. */
    sagas: async (variables: SagasQueryVariables = {}) => (await request(SagasDocument, variables)).sagas,
    saga: async (id: string) => (await request(SagaDocument, { id })).saga,
    /** Admin only: how many sagas are in each status (of those started after `startedAfter`). */
    sagaCounts: async (startedAfter?: string) =>
      (await request(SagaCountsDocument, startedAfter ? { startedAfter } : {})).sagaCounts,
    /** Admin only: resumes the STUCK sagas the filter selects, `limit` at a time. */
    retrySagas: async (filter: SagaFilter, limit?: number) =>
      (await request(RetrySagasDocument, limit === undefined ? { filter } : { filter, limit })).retrySagas,
    /** Admin only: makes the order's saga compensate now (see the schema's `compensateSaga`). */
    compensateSaga: async (orderId: string, reason?: string) =>
      (await request(CompensateSagaDocument, reason === undefined ? { orderId } : { orderId, reason })).compensateSaga,
  };
}

export type Client = ReturnType<typeof createClient>;

/**
 * Places an order and, while the system answers SERVICE_UNAVAILABLE or cannot be reached, places it
 * again after the advised delay (with jitter) — always with the same idempotency key, so however
 * often it is sent at most one order exists. Without a key in `input`, one is made for the call.
 * Other errors (BAD_USER_INPUT, FORBIDDEN, …) are thrown at once; after `maxAttempts` the last
 * refusal is thrown.
 */
export async function placeWithRetry(
  client: Pick<Client, 'placeOrder'>,
  input: PlaceOrderInput,
  {
    maxAttempts = 8,
    defaultDelayMs = 500,
    maxDelayMs = 10_000,
    onRefused,
  }: {
    maxAttempts?: number;
    defaultDelayMs?: number;
    maxDelayMs?: number;
    onRefused?: (err: GraphQLClientError, attempt: number) => void;
  } = {},
): ReturnType<Client['placeOrder']> {
  const keyed = { ...input, idempotencyKey: input.idempotencyKey ?? globalThis.crypto.randomUUID() };
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.placeOrder(keyed);
    } catch (err) {
      // A network failure may have placed the order or not: the key makes sending it again safe.
      const refusal =
        err instanceof GraphQLClientError
          ? err
          : err instanceof TypeError
            ? new GraphQLClientError('SERVICE_UNAVAILABLE', err.message, [], null)
            : undefined;
      if (refusal?.code !== 'SERVICE_UNAVAILABLE' || attempt >= maxAttempts) throw err;
      onRefused?.(refusal, attempt);
      const base = Math.min(maxDelayMs, refusal.retryAfterMs ?? defaultDelayMs * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, base * (0.5 + Math.random())));
    }
  }
}
