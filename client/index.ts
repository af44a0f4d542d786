import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import {
  CancelOrderDocument,
  OrderDocument,
  OrderStatusDocument,
  OrdersDocument,
  OrderStatusChangedDocument,
  OrderStatusOnlyDocument,
  type OrderStatusOnlySubscription,
  type OrdersQueryVariables,
  type OrderStatusChangedSubscription,
  PlaceOrderDocument,
  ProductDocument,
  ProductsDocument,
  RestockProductDocument,
  RetrySagaDocument,
  type PlaceOrderInput,
  type ProductsQueryVariables,
} from './generated/graphql.ts';

export type * from './generated/graphql.ts';

/** A GraphQL error answered by the gateway; `code` is its `extensions.code` (e.g. FORBIDDEN). */
export class GraphQLClientError extends Error {
  override name = 'GraphQLClientError';
  constructor(
    readonly code: string,
    message: string,
    readonly errors: { message: string; extensions?: Record<string, unknown> }[],
    readonly data: unknown,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** The gateway's GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /** A bearer token (without the `Bearer ` prefix). */
  token?: string;
  fetch?: typeof globalThis.fetch;
  /** A WebSocket implementation for subscriptions; default: the global one, else the `ws` package. */
  webSocketImpl?: unknown;
}

/** Close codes of the gateway's graphql-ws endpoint that carry a contract error code. */
const closeCodes: Record<number, string> = { 4401: 'UNAUTHENTICATED', 4403: 'UNAUTHENTICATED', 4429: 'RATE_LIMITED' };

const toClientError = (err: unknown): GraphQLClientError => {
  if (err instanceof GraphQLClientError) return err;
  const close = err as { code?: number; reason?: string };
  if (typeof close?.code === 'number') return new GraphQLClientError(closeCodes[close.code] ?? 'INTERNAL_SERVER_ERROR', close.reason || `connection closed (${close.code})`, [], null);
  const list = Array.isArray(err) ? (err as GraphQLClientError['errors']) : undefined;
  if (list?.length) return new GraphQLClientError(String(list[0]!.extensions?.code ?? 'INTERNAL_SERVER_ERROR'), list[0]!.message, list, null);
  return new GraphQLClientError('INTERNAL_SERVER_ERROR', err instanceof Error ? err.message : String(err), [], null);
};

/**
 * The typed SDK: one method per contract operation, generated documents underneath.
 * Any GraphQL error throws a `GraphQLClientError` carrying the first error's code.
 */
export function createClient({ url, token, fetch = globalThis.fetch, webSocketImpl }: ClientOptions) {
  let ws: Promise<WsClient> | undefined;
  const socket = () =>
    (ws ??= (async () =>
      createWsClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket ?? (await import('ws')).WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        lazy: true,
        retryAttempts: 0,
      }))());

  /** A subscription as an async iterable; GraphQL errors and refusals throw `GraphQLClientError`. */
  async function* subscribe<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V): AsyncGenerator<R> {
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
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json().catch(() => null)) as { data?: R | null; errors?: GraphQLClientError['errors'] } | null;
    if (!body) throw new GraphQLClientError('INTERNAL_SERVER_ERROR', `HTTP ${response.status} without a GraphQL body`, [], null);
    if (body.errors?.length) {
      const first = body.errors[0]!;
      throw new GraphQLClientError(String(first.extensions?.code ?? 'INTERNAL_SERVER_ERROR'), first.message, body.errors, body.data ?? null);
    }
    return body.data as R;
  }

  return {
    request,
    products: async (variables: ProductsQueryVariables = {}) => (await request(ProductsDocument, variables)).products,
    product: async (id: string) => (await request(ProductDocument, { id })).product,
    restockProduct: async (productId: string, quantity: number) => (await request(RestockProductDocument, { productId, quantity })).restockProduct,
    placeOrder: async (input: PlaceOrderInput) => (await request(PlaceOrderDocument, { input })).placeOrder.order,
    order: async (id: string) => (await request(OrderDocument, { id })).order,
    /** The order's status and saga progress only: answered by the order service alone. */
    orderStatus: async (id: string) => (await request(OrderStatusDocument, { id })).order,
    orders: async (variables: OrdersQueryVariables = {}) => (await request(OrdersDocument, variables)).orders,
    /** The order's status events: the current state first, then every change; ends after a final status. */
    orderStatusChanged: async function* (orderId: string): AsyncGenerator<OrderStatusChangedSubscription['orderStatusChanged']> {
      for await (const data of subscribe(OrderStatusChangedDocument, { orderId })) yield data.orderStatusChanged;
    },
    /** The order's status events without the order itself: the lightest way to follow a saga. */
    orderStatusOnly: async function* (orderId: string): AsyncGenerator<OrderStatusOnlySubscription['orderStatusChanged']> {
      for await (const data of subscribe(OrderStatusOnlyDocument, { orderId })) yield data.orderStatusChanged;
    },
    /** Closes the subscription connection, if one was opened. */
    async dispose() {
      if (ws) await (await ws).dispose();
    },
    cancelOrder: async (id: string) => (await request(CancelOrderDocument, { id })).cancelOrder,
    retrySaga: async (orderId: string) => (await request(RetrySagaDocument, { orderId })).retrySaga,
  };
}

export type Client = ReturnType<typeof createClient>;
