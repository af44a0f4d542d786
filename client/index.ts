import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import {
  CancelOrderDocument,
  OrderDocument,
  OrderStatusDocument,
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
}

/**
 * The typed SDK: one method per contract operation, generated documents underneath.
 * Any GraphQL error throws a `GraphQLClientError` carrying the first error's code.
 */
export function createClient({ url, token, fetch = globalThis.fetch }: ClientOptions) {
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
    cancelOrder: async (id: string) => (await request(CancelOrderDocument, { id })).cancelOrder,
    retrySaga: async (orderId: string) => (await request(RetrySagaDocument, { orderId })).retrySaga,
  };
}

export type Client = ReturnType<typeof createClient>;
