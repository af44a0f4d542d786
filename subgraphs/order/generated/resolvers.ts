import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { OrderRow as OrderRowModel, OrderItemRow as OrderItemRowModel, ApiKeyRow as ApiKeyRowModel, AuditRow as AuditRowModel } from '../tables.ts';
import type { ProductReference as ProductReferenceModel } from '../resolvers.ts';
import type { ApiKeyPrincipal as ApiKeyPrincipalModel } from '../access.ts';
import type { SagaRow as SagaRowModel } from '../../../saga/index.ts';
import type { OrderContext } from '../views.ts';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  DateTime: { input: Date; output: Date | string; }
  Decimal: { input: string; output: string; }
  _FieldSet: { input: unknown; output: unknown; }
};

export type ApiKey = {
  __typename?: 'ApiKey';
  createdAt: Scalars['DateTime']['output'];
  createdBy: Scalars['String']['output'];
  customerId: Scalars['ID']['output'];
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  /** Roughly when the key was last used (noted at most once a minute). */
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  name: Scalars['String']['output'];
  /** The key's first characters, to recognise it. */
  prefix: Scalars['String']['output'];
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  revokedBy?: Maybe<Scalars['String']['output']>;
  scopes: Array<ApiKeyScope>;
};

export type ApiKeyConnection = {
  __typename?: 'ApiKeyConnection';
  edges: Array<ApiKeyEdge>;
  pageInfo: PageInfo;
};

export type ApiKeyEdge = {
  __typename?: 'ApiKeyEdge';
  cursor: Scalars['String']['output'];
  node: ApiKey;
};

export type ApiKeyPrincipal = {
  __typename?: 'ApiKeyPrincipal';
  customerId: Scalars['ID']['output'];
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  scopes: Array<ApiKeyScope>;
};

/** What an API key may do. */
export type ApiKeyScope =
  /** Also place and cancel the customer's orders. */
  | 'PLACE_ORDERS'
  /** Read the customer's orders and the catalog, and subscribe to the customer's orders. */
  | 'READ';

export type AuditActorKind =
  | 'ADMIN'
  | 'API_KEY'
  | 'CUSTOMER';

export type AuditEntry = {
  __typename?: 'AuditEntry';
  /** What was done, as noun.verb: product.restocked, saga.retried, order.cancelled, order.placed, apiKey.created, apiKey.revoked. */
  action: Scalars['String']['output'];
  /** The admin's or customer's id (a token's subject); for an API key, the customer it acts for. */
  actor: Scalars['String']['output'];
  actorKind: AuditActorKind;
  apiKeyId?: Maybe<Scalars['ID']['output']>;
  at: Scalars['DateTime']['output'];
  /** The request's correlation id: the same id is in that request's logs. */
  correlationId: Scalars['String']['output'];
  /** The action's particulars, as a JSON object. */
  details: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  /** What it was done to, as kind:id (product:…, order:…, apiKey:…). */
  target: Scalars['String']['output'];
};

export type AuditEntryConnection = {
  __typename?: 'AuditEntryConnection';
  edges: Array<AuditEntryEdge>;
  pageInfo: PageInfo;
};

export type AuditEntryEdge = {
  __typename?: 'AuditEntryEdge';
  cursor: Scalars['String']['output'];
  node: AuditEntry;
};

export type CreateApiKeyInput = {
  /** The customer the key acts for (a token's subject). */
  customerId: Scalars['ID']['input'];
  /** When the key stops working; none: until revoked. */
  expiresAt?: InputMaybe<Scalars['DateTime']['input']>;
  /** What the key is for, 1..100 characters (e.g. the integration's name). */
  name: Scalars['String']['input'];
  scopes: Array<ApiKeyScope>;
};

export type CreateApiKeyPayload = {
  __typename?: 'CreateApiKeyPayload';
  apiKey: ApiKey;
  /** The key itself, shown this once. */
  key: Scalars['String']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Cancels an order that is not yet COMPLETED or FAILED: the saga compensates (releases stock,
   * refunds a captured payment) and the order ends CANCELLED. BAD_USER_INPUT once it is final.
   */
  cancelOrder: Order;
  /**
   * Admin only. Makes the order's saga compensate now: a RUNNING saga abandons its step and undoes
   * every step that took (or may take) effect, and the order ends FAILED with `reason` (1..200
   * characters; default "Stopped by an administrator"); a STUCK saga resumes its failed
   * compensation; a compensation waiting out a retry is sent at once. In the audit log.
   * BAD_USER_INPUT when the saga has ended or its compensation is already in flight.
   */
  compensateSaga: Order;
  /**
   * Admin only. Creates an API key for a machine client acting for one customer. The key is in the
   * answer this once: only its digest is stored. Send it as the `x-api-key` header (or `apiKey` in
   * the socket's connection parameters).
   */
  createApiKey: CreateApiKeyPayload;
  /**
   * Validates the input synchronously (BAD_USER_INPUT for empty items, quantity outside 1..1000,
   * more than 50 lines, the same product twice, an unknown product id), stores the order as PENDING,
   * and starts the order saga through Kafka. Returns at once; the saga runs asynchronously.
   * The same idempotencyKey from the same customer returns the same order and starts no second saga.
   */
  placeOrder: PlaceOrderPayload;
  /**
   * Admin only. Resumes the saga of an order whose compensation could not finish (saga status STUCK):
   * the failed compensation is sent again. BAD_USER_INPUT when the saga is not STUCK.
   */
  retrySaga: Order;
  /**
   * Admin only. Resumes, like retrySaga, the STUCK sagas the filter selects, the newest `limit`
   * (1..100) at a time: call again while `hasMore`. A saga that is no longer STUCK when its
   * turn comes (another admin resumed it) is skipped. Each resume is in the audit log.
   * BAD_USER_INPUT for a filter on another status than STUCK.
   */
  retrySagas: RetrySagasPayload;
  /** Admin only. Revokes an API key at once on every gateway replica; revoking twice changes nothing. */
  revokeApiKey: ApiKey;
};


export type MutationCancelOrderArgs = {
  id: Scalars['ID']['input'];
};


export type MutationCompensateSagaArgs = {
  orderId: Scalars['ID']['input'];
  reason?: InputMaybe<Scalars['String']['input']>;
};


export type MutationCreateApiKeyArgs = {
  input: CreateApiKeyInput;
};


export type MutationPlaceOrderArgs = {
  input: PlaceOrderInput;
};


export type MutationRetrySagaArgs = {
  orderId: Scalars['ID']['input'];
};


export type MutationRetrySagasArgs = {
  filter: SagaFilter;
  limit?: InputMaybe<Scalars['Int']['input']>;
};


export type MutationRevokeApiKeyArgs = {
  id: Scalars['ID']['input'];
};

export type Order = {
  __typename?: 'Order';
  createdAt: Scalars['DateTime']['output'];
  currency: Scalars['String']['output'];
  customerId: Scalars['ID']['output'];
  /** Why the order FAILED or was CANCELLED, in words a customer understands. */
  failureReason?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  items: Array<OrderItem>;
  /** The saga that drives this order: its steps, compensations and timing. */
  saga: Saga;
  status: OrderStatus;
  totalAmount: Scalars['Decimal']['output'];
  updatedAt: Scalars['DateTime']['output'];
  /** Increases by one with every status change; the version of the latest OrderStatusEvent. */
  version: Scalars['Int']['output'];
};

export type OrderConnection = {
  __typename?: 'OrderConnection';
  edges: Array<OrderEdge>;
  pageInfo: PageInfo;
};

export type OrderEdge = {
  __typename?: 'OrderEdge';
  cursor: Scalars['String']['output'];
  node: Order;
};

export type OrderItem = {
  __typename?: 'OrderItem';
  product: Product;
  quantity: Scalars['Int']['output'];
  subtotal: Scalars['Decimal']['output'];
  unitPrice: Scalars['Decimal']['output'];
};

export type OrderItemInput = {
  productId: Scalars['ID']['input'];
  quantity: Scalars['Int']['input'];
};

export type OrderStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'INVENTORY_CONFIRMED'
  | 'PAYMENT_CONFIRMED'
  | 'PENDING';

export type OrderStatusEvent = {
  __typename?: 'OrderStatusEvent';
  at: Scalars['DateTime']['output'];
  /** The whole order as of this event, resolved through the federated graph (items, products, payment, saga). */
  order: Order;
  orderId: Scalars['ID']['output'];
  reason?: Maybe<Scalars['String']['output']>;
  status: OrderStatus;
  /** Strictly increasing per order. */
  version: Scalars['Int']['output'];
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type PlaceOrderInput = {
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  items: Array<OrderItemInput>;
  /**
   * Token for the payment provider. The built-in simulated provider understands:
   * "tok_visa" approves; "tok_chargeDeclined" declines; "tok_timeout" never answers
   * (the saga must time out, compensate, and end FAILED). Any other value is declined.
   */
  paymentToken: Scalars['String']['input'];
};

export type PlaceOrderPayload = {
  __typename?: 'PlaceOrderPayload';
  order: Order;
};

export type Product = {
  __typename?: 'Product';
  id: Scalars['ID']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** The gateway's own lookup of an API key by its digest; not part of the public API. */
  _apiKeyPrincipal?: Maybe<ApiKeyPrincipal>;
  /** Admin only. API keys, newest first (revoked and expired ones too); optionally one customer's. */
  apiKeys: ApiKeyConnection;
  /**
   * Admin only. What admins did (restock, saga retry, cancelling another's order, API keys created
   * and revoked) and every change made with an API key, newest first. Filters combine.
   */
  auditLog: AuditEntryConnection;
  /** One order. A customer sees only their own orders (others: null with FORBIDDEN error); admins see all. */
  order?: Maybe<Order>;
  /**
   * The caller's orders, newest first; admins see everyone's. Relay-style cursor pagination.
   * `ids` keeps only those orders (at most 100; ids of no order the caller may see are left out):
   * many orders in one read, whose products and payments are then fetched together.
   */
  orders: OrderConnection;
  /** Admin only. One saga by its id (an order's saga is also `Order.saga`). */
  saga?: Maybe<Saga>;
  /** Admin only. How many sagas there are in each status, of those started after `startedAfter` (none: all). */
  sagaCounts: Array<SagaStatusCount>;
  /**
   * Admin only. Sagas, newest first, for finding the ones that need a person: STUCK, RUNNING past
   * their deadline, COMPENSATING… Every filter narrows: `status`; `step`, the step a saga is at (or
   * failed at, when STUCK); `startedAfter` / `startedBefore`; `pastDeadline: true`, RUNNING sagas
   * whose deadline passed that the sweep has not yet compensated. Relay-style cursor pagination.
   */
  sagas: SagaConnection;
};


export type Query_ApiKeyPrincipalArgs = {
  digest: Scalars['String']['input'];
};


export type QueryApiKeysArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  customerId?: InputMaybe<Scalars['ID']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryAuditLogArgs = {
  action?: InputMaybe<Scalars['String']['input']>;
  actor?: InputMaybe<Scalars['String']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  apiKeyId?: InputMaybe<Scalars['ID']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryOrderArgs = {
  id: Scalars['ID']['input'];
};


export type QueryOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  ids?: InputMaybe<Array<Scalars['ID']['input']>>;
  status?: InputMaybe<OrderStatus>;
};


export type QuerySagaArgs = {
  id: Scalars['ID']['input'];
};


export type QuerySagaCountsArgs = {
  startedAfter?: InputMaybe<Scalars['DateTime']['input']>;
};


export type QuerySagasArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  pastDeadline?: InputMaybe<Scalars['Boolean']['input']>;
  startedAfter?: InputMaybe<Scalars['DateTime']['input']>;
  startedBefore?: InputMaybe<Scalars['DateTime']['input']>;
  status?: InputMaybe<SagaStatus>;
  step?: InputMaybe<Scalars['String']['input']>;
};

export type RetrySagasPayload = {
  __typename?: 'RetrySagasPayload';
  /** More STUCK sagas match the filter than `limit`: call again. */
  hasMore: Scalars['Boolean']['output'];
  /** How many sagas were resumed. */
  retried: Scalars['Int']['output'];
  /** The sagas resumed, as they are now. */
  sagas: Array<Saga>;
};

export type Saga = {
  __typename?: 'Saga';
  /** Someone cancelled the order: the saga compensates and the order ends CANCELLED, not FAILED. */
  cancelled: Scalars['Boolean']['output'];
  currentStep?: Maybe<Scalars['String']['output']>;
  /** When the saga gives up waiting and compensates. */
  deadlineAt: Scalars['DateTime']['output'];
  /** The version of the saga's definition it runs. */
  definitionVersion: Scalars['Int']['output'];
  /** Why the saga compensated (a failed step, the deadline, a cancellation, an operator), if it did. */
  failureReason?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  /** The order itself (admins see any; a customer only their own). */
  order?: Maybe<Order>;
  /** The order the saga runs for. */
  orderId: Scalars['ID']['output'];
  /** When a step that failed retriably is sent again, while it waits. */
  retryAt?: Maybe<Scalars['DateTime']['output']>;
  startedAt: Scalars['DateTime']['output'];
  status: SagaStatus;
  steps: Array<SagaStep>;
  updatedAt: Scalars['DateTime']['output'];
};

export type SagaConnection = {
  __typename?: 'SagaConnection';
  edges: Array<SagaEdge>;
  pageInfo: PageInfo;
};

export type SagaEdge = {
  __typename?: 'SagaEdge';
  cursor: Scalars['String']['output'];
  node: Saga;
};

export type SagaFilter = {
  pastDeadline?: InputMaybe<Scalars['Boolean']['input']>;
  startedAfter?: InputMaybe<Scalars['DateTime']['input']>;
  startedBefore?: InputMaybe<Scalars['DateTime']['input']>;
  status?: InputMaybe<SagaStatus>;
  step?: InputMaybe<Scalars['String']['input']>;
};

export type SagaStatus =
  | 'COMPENSATED'
  | 'COMPENSATING'
  | 'COMPLETED'
  | 'RUNNING'
  /** Compensation itself could not finish: a person must look. */
  | 'STUCK';

export type SagaStatusCount = {
  __typename?: 'SagaStatusCount';
  count: Scalars['Int']['output'];
  status: SagaStatus;
};

export type SagaStep = {
  __typename?: 'SagaStep';
  attempts: Scalars['Int']['output'];
  error?: Maybe<Scalars['String']['output']>;
  finishedAt?: Maybe<Scalars['DateTime']['output']>;
  isCompensation: Scalars['Boolean']['output'];
  name: Scalars['String']['output'];
  startedAt?: Maybe<Scalars['DateTime']['output']>;
  status: SagaStepStatus;
};

export type SagaStepStatus =
  | 'COMPENSATED'
  | 'FAILED'
  | 'PENDING'
  | 'RUNNING'
  | 'SUCCEEDED';

export type Subscription = {
  __typename?: 'Subscription';
  /**
   * Streams the order's status changes. The first event is the order's current state at the time
   * of subscribing (so a late subscriber misses nothing), then one event per change, in order,
   * with strictly increasing `version`, until a final status (COMPLETED, FAILED, CANCELLED),
   * after which the stream completes. Only the order's customer (or an admin) may subscribe.
   */
  orderStatusChanged: OrderStatusEvent;
};


export type SubscriptionOrderStatusChangedArgs = {
  orderId: Scalars['ID']['input'];
};



export type ResolverTypeWrapper<T> = Promise<T> | T;

export type ReferenceResolver<TResult, TReference, TContext> = (
      reference: TReference,
      context: TContext,
      info: GraphQLResolveInfo
    ) => Promise<TResult> | TResult;

      type ScalarCheck<T, S> = S extends true ? T : NullableCheck<T, S>;
      type NullableCheck<T, S> = Maybe<T> extends T ? Maybe<ListCheck<NonNullable<T>, S>> : ListCheck<T, S>;
      type ListCheck<T, S> = T extends (infer U)[] ? NullableCheck<U, S>[] : GraphQLRecursivePick<T, S>;
      export type GraphQLRecursivePick<T, S> = { [K in keyof T & keyof S]: ScalarCheck<T[K], S[K]> };
    

export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

/** Mapping of federation types */
export type FederationTypes = {
  Order: Order;
};

/** Mapping of federation reference types */
export type FederationReferenceTypes = {
  Order:
    ( { __typename: 'Order' }
    & GraphQLRecursivePick<FederationTypes['Order'], {"id":true}> );
};



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  ApiKey: ResolverTypeWrapper<ApiKeyRowModel>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  ApiKeyConnection: ResolverTypeWrapper<Omit<ApiKeyConnection, 'edges'> & { edges: Array<ResolversTypes['ApiKeyEdge']> }>;
  ApiKeyEdge: ResolverTypeWrapper<Omit<ApiKeyEdge, 'node'> & { node: ResolversTypes['ApiKey'] }>;
  ApiKeyPrincipal: ResolverTypeWrapper<ApiKeyPrincipalModel>;
  ApiKeyScope: ApiKeyScope;
  AuditActorKind: AuditActorKind;
  AuditEntry: ResolverTypeWrapper<AuditRowModel>;
  AuditEntryConnection: ResolverTypeWrapper<Omit<AuditEntryConnection, 'edges'> & { edges: Array<ResolversTypes['AuditEntryEdge']> }>;
  AuditEntryEdge: ResolverTypeWrapper<Omit<AuditEntryEdge, 'node'> & { node: ResolversTypes['AuditEntry'] }>;
  CreateApiKeyInput: CreateApiKeyInput;
  CreateApiKeyPayload: ResolverTypeWrapper<Omit<CreateApiKeyPayload, 'apiKey'> & { apiKey: ResolversTypes['ApiKey'] }>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Decimal: ResolverTypeWrapper<Scalars['Decimal']['output']>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Order: ResolverTypeWrapper<OrderRowModel>;
  OrderConnection: ResolverTypeWrapper<Omit<OrderConnection, 'edges'> & { edges: Array<ResolversTypes['OrderEdge']> }>;
  OrderEdge: ResolverTypeWrapper<Omit<OrderEdge, 'node'> & { node: ResolversTypes['Order'] }>;
  OrderItem: ResolverTypeWrapper<OrderItemRowModel>;
  OrderItemInput: OrderItemInput;
  OrderStatus: OrderStatus;
  OrderStatusEvent: ResolverTypeWrapper<Omit<OrderStatusEvent, 'order'> & { order: ResolversTypes['Order'] }>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  PlaceOrderInput: PlaceOrderInput;
  PlaceOrderPayload: ResolverTypeWrapper<Omit<PlaceOrderPayload, 'order'> & { order: ResolversTypes['Order'] }>;
  Product: ResolverTypeWrapper<ProductReferenceModel>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RetrySagasPayload: ResolverTypeWrapper<Omit<RetrySagasPayload, 'sagas'> & { sagas: Array<ResolversTypes['Saga']> }>;
  Saga: ResolverTypeWrapper<SagaRowModel>;
  SagaConnection: ResolverTypeWrapper<Omit<SagaConnection, 'edges'> & { edges: Array<ResolversTypes['SagaEdge']> }>;
  SagaEdge: ResolverTypeWrapper<Omit<SagaEdge, 'node'> & { node: ResolversTypes['Saga'] }>;
  SagaFilter: SagaFilter;
  SagaStatus: SagaStatus;
  SagaStatusCount: ResolverTypeWrapper<SagaStatusCount>;
  SagaStep: ResolverTypeWrapper<SagaStep>;
  SagaStepStatus: SagaStepStatus;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  ApiKey: ApiKeyRowModel;
  String: Scalars['String']['output'];
  ID: Scalars['ID']['output'];
  ApiKeyConnection: Omit<ApiKeyConnection, 'edges'> & { edges: Array<ResolversParentTypes['ApiKeyEdge']> };
  ApiKeyEdge: Omit<ApiKeyEdge, 'node'> & { node: ResolversParentTypes['ApiKey'] };
  ApiKeyPrincipal: ApiKeyPrincipalModel;
  AuditEntry: AuditRowModel;
  AuditEntryConnection: Omit<AuditEntryConnection, 'edges'> & { edges: Array<ResolversParentTypes['AuditEntryEdge']> };
  AuditEntryEdge: Omit<AuditEntryEdge, 'node'> & { node: ResolversParentTypes['AuditEntry'] };
  CreateApiKeyInput: CreateApiKeyInput;
  CreateApiKeyPayload: Omit<CreateApiKeyPayload, 'apiKey'> & { apiKey: ResolversParentTypes['ApiKey'] };
  DateTime: Scalars['DateTime']['output'];
  Decimal: Scalars['Decimal']['output'];
  Mutation: Record<PropertyKey, never>;
  Int: Scalars['Int']['output'];
  Order: OrderRowModel;
  OrderConnection: Omit<OrderConnection, 'edges'> & { edges: Array<ResolversParentTypes['OrderEdge']> };
  OrderEdge: Omit<OrderEdge, 'node'> & { node: ResolversParentTypes['Order'] };
  OrderItem: OrderItemRowModel;
  OrderItemInput: OrderItemInput;
  OrderStatusEvent: Omit<OrderStatusEvent, 'order'> & { order: ResolversParentTypes['Order'] };
  PageInfo: PageInfo;
  Boolean: Scalars['Boolean']['output'];
  PlaceOrderInput: PlaceOrderInput;
  PlaceOrderPayload: Omit<PlaceOrderPayload, 'order'> & { order: ResolversParentTypes['Order'] };
  Product: ProductReferenceModel;
  Query: Record<PropertyKey, never>;
  RetrySagasPayload: Omit<RetrySagasPayload, 'sagas'> & { sagas: Array<ResolversParentTypes['Saga']> };
  Saga: SagaRowModel;
  SagaConnection: Omit<SagaConnection, 'edges'> & { edges: Array<ResolversParentTypes['SagaEdge']> };
  SagaEdge: Omit<SagaEdge, 'node'> & { node: ResolversParentTypes['Saga'] };
  SagaFilter: SagaFilter;
  SagaStatusCount: SagaStatusCount;
  SagaStep: SagaStep;
  Subscription: Record<PropertyKey, never>;
};

export type ApiKeyResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['ApiKey'] = ResolversParentTypes['ApiKey']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  createdBy?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  customerId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  expiresAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastUsedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  prefix?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  revokedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  revokedBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  scopes?: Resolver<Array<ResolversTypes['ApiKeyScope']>, ParentType, ContextType>;
};

export type ApiKeyConnectionResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['ApiKeyConnection'] = ResolversParentTypes['ApiKeyConnection']> = {
  edges?: Resolver<Array<ResolversTypes['ApiKeyEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type ApiKeyEdgeResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['ApiKeyEdge'] = ResolversParentTypes['ApiKeyEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType>;
};

export type ApiKeyPrincipalResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['ApiKeyPrincipal'] = ResolversParentTypes['ApiKeyPrincipal']> = {
  customerId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  expiresAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  scopes?: Resolver<Array<ResolversTypes['ApiKeyScope']>, ParentType, ContextType>;
};

export type AuditEntryResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['AuditEntry'] = ResolversParentTypes['AuditEntry']> = {
  action?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  actor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  actorKind?: Resolver<ResolversTypes['AuditActorKind'], ParentType, ContextType>;
  apiKeyId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  correlationId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  details?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  target?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type AuditEntryConnectionResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['AuditEntryConnection'] = ResolversParentTypes['AuditEntryConnection']> = {
  edges?: Resolver<Array<ResolversTypes['AuditEntryEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type AuditEntryEdgeResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['AuditEntryEdge'] = ResolversParentTypes['AuditEntryEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['AuditEntry'], ParentType, ContextType>;
};

export type CreateApiKeyPayloadResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['CreateApiKeyPayload'] = ResolversParentTypes['CreateApiKeyPayload']> = {
  apiKey?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType>;
  key?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export interface DecimalScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['Decimal'], any> {
  name: 'Decimal';
}

export type MutationResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  cancelOrder?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationCancelOrderArgs, 'id'>>;
  compensateSaga?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationCompensateSagaArgs, 'orderId'>>;
  createApiKey?: Resolver<ResolversTypes['CreateApiKeyPayload'], ParentType, ContextType, RequireFields<MutationCreateApiKeyArgs, 'input'>>;
  placeOrder?: Resolver<ResolversTypes['PlaceOrderPayload'], ParentType, ContextType, RequireFields<MutationPlaceOrderArgs, 'input'>>;
  retrySaga?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationRetrySagaArgs, 'orderId'>>;
  retrySagas?: Resolver<ResolversTypes['RetrySagasPayload'], ParentType, ContextType, RequireFields<MutationRetrySagasArgs, 'filter' | 'limit'>>;
  revokeApiKey?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType, RequireFields<MutationRevokeApiKeyArgs, 'id'>>;
};

export type OrderResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order'], FederationReferenceType extends FederationReferenceTypes['Order'] = FederationReferenceTypes['Order']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Order']> | FederationReferenceType, FederationReferenceType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  currency?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  customerId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  failureReason?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  items?: Resolver<Array<ResolversTypes['OrderItem']>, ParentType, ContextType>;
  saga?: Resolver<ResolversTypes['Saga'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['OrderStatus'], ParentType, ContextType>;
  totalAmount?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type OrderConnectionResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['OrderConnection'] = ResolversParentTypes['OrderConnection']> = {
  edges?: Resolver<Array<ResolversTypes['OrderEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type OrderEdgeResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['OrderEdge'] = ResolversParentTypes['OrderEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Order'], ParentType, ContextType>;
};

export type OrderItemResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['OrderItem'] = ResolversParentTypes['OrderItem']> = {
  product?: Resolver<ResolversTypes['Product'], ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  subtotal?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
  unitPrice?: Resolver<ResolversTypes['Decimal'], ParentType, ContextType>;
};

export type OrderStatusEventResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['OrderStatusEvent'] = ResolversParentTypes['OrderStatusEvent']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  order?: Resolver<ResolversTypes['Order'], ParentType, ContextType>;
  orderId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  reason?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['OrderStatus'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type PageInfoResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type PlaceOrderPayloadResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['PlaceOrderPayload'] = ResolversParentTypes['PlaceOrderPayload']> = {
  order?: Resolver<ResolversTypes['Order'], ParentType, ContextType>;
};

export type ProductResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['Product'] = ResolversParentTypes['Product']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type QueryResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  _apiKeyPrincipal?: Resolver<Maybe<ResolversTypes['ApiKeyPrincipal']>, ParentType, ContextType, RequireFields<Query_ApiKeyPrincipalArgs, 'digest'>>;
  apiKeys?: Resolver<ResolversTypes['ApiKeyConnection'], ParentType, ContextType, RequireFields<QueryApiKeysArgs, 'first'>>;
  auditLog?: Resolver<ResolversTypes['AuditEntryConnection'], ParentType, ContextType, RequireFields<QueryAuditLogArgs, 'first'>>;
  order?: Resolver<Maybe<ResolversTypes['Order']>, ParentType, ContextType, RequireFields<QueryOrderArgs, 'id'>>;
  orders?: Resolver<ResolversTypes['OrderConnection'], ParentType, ContextType, RequireFields<QueryOrdersArgs, 'first'>>;
  saga?: Resolver<Maybe<ResolversTypes['Saga']>, ParentType, ContextType, RequireFields<QuerySagaArgs, 'id'>>;
  sagaCounts?: Resolver<Array<ResolversTypes['SagaStatusCount']>, ParentType, ContextType, Partial<QuerySagaCountsArgs>>;
  sagas?: Resolver<ResolversTypes['SagaConnection'], ParentType, ContextType, RequireFields<QuerySagasArgs, 'first'>>;
};

export type RetrySagasPayloadResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['RetrySagasPayload'] = ResolversParentTypes['RetrySagasPayload']> = {
  hasMore?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  retried?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  sagas?: Resolver<Array<ResolversTypes['Saga']>, ParentType, ContextType>;
};

export type SagaResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['Saga'] = ResolversParentTypes['Saga']> = {
  cancelled?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  currentStep?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  deadlineAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  definitionVersion?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  failureReason?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  order?: Resolver<Maybe<ResolversTypes['Order']>, ParentType, ContextType>;
  orderId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  retryAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  startedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['SagaStatus'], ParentType, ContextType>;
  steps?: Resolver<Array<ResolversTypes['SagaStep']>, ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
};

export type SagaConnectionResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['SagaConnection'] = ResolversParentTypes['SagaConnection']> = {
  edges?: Resolver<Array<ResolversTypes['SagaEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type SagaEdgeResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['SagaEdge'] = ResolversParentTypes['SagaEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Saga'], ParentType, ContextType>;
};

export type SagaStatusCountResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['SagaStatusCount'] = ResolversParentTypes['SagaStatusCount']> = {
  count?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['SagaStatus'], ParentType, ContextType>;
};

export type SagaStepResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['SagaStep'] = ResolversParentTypes['SagaStep']> = {
  attempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  error?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  finishedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  isCompensation?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  startedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['SagaStepStatus'], ParentType, ContextType>;
};

export type SubscriptionResolvers<ContextType = OrderContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = {
  orderStatusChanged?: SubscriptionResolver<ResolversTypes['OrderStatusEvent'], "orderStatusChanged", ParentType, ContextType, RequireFields<SubscriptionOrderStatusChangedArgs, 'orderId'>>;
};

export type Resolvers<ContextType = OrderContext> = {
  ApiKey?: ApiKeyResolvers<ContextType>;
  ApiKeyConnection?: ApiKeyConnectionResolvers<ContextType>;
  ApiKeyEdge?: ApiKeyEdgeResolvers<ContextType>;
  ApiKeyPrincipal?: ApiKeyPrincipalResolvers<ContextType>;
  AuditEntry?: AuditEntryResolvers<ContextType>;
  AuditEntryConnection?: AuditEntryConnectionResolvers<ContextType>;
  AuditEntryEdge?: AuditEntryEdgeResolvers<ContextType>;
  CreateApiKeyPayload?: CreateApiKeyPayloadResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  Decimal?: GraphQLScalarType;
  Mutation?: MutationResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  OrderConnection?: OrderConnectionResolvers<ContextType>;
  OrderEdge?: OrderEdgeResolvers<ContextType>;
  OrderItem?: OrderItemResolvers<ContextType>;
  OrderStatusEvent?: OrderStatusEventResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  PlaceOrderPayload?: PlaceOrderPayloadResolvers<ContextType>;
  Product?: ProductResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  RetrySagasPayload?: RetrySagasPayloadResolvers<ContextType>;
  Saga?: SagaResolvers<ContextType>;
  SagaConnection?: SagaConnectionResolvers<ContextType>;
  SagaEdge?: SagaEdgeResolvers<ContextType>;
  SagaStatusCount?: SagaStatusCountResolvers<ContextType>;
  SagaStep?: SagaStepResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
};

