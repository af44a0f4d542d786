import { createHash, randomUUID } from 'node:crypto';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  TypeInfo,
  type ValueNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Cache } from '../cache/index.ts';
import type { Identity } from '../kernel/index.ts';
import { fragmentsOf } from './documents.ts';

/**
 * Types whose data changes without an order event (stock with every reservation, a payment or a
 * saga step between two status changes): answers holding them are served for `volatileTtlMs` at most.
 */
const VOLATILE_TYPES = new Set(['Product', 'Payment', 'Saga', 'SagaStep']);

/** Root fields whose answers may be cached, and root mutations whose success changes cached answers. */
const QUERY_ROOTS = new Set(['order', 'orders', 'product', 'products', '__typename']);

interface Root {
  name: string;
  /** The argument that names the order, if the field has one (`order(id)`, `cancelOrder(id)`, `retrySaga(orderId)`). */
  orderId?: ValueNode;
}

/** What one document does to the cache, worked out once per document and operation name. */
export interface Plan {
  id: string;
  operation: 'query' | 'mutation';
  /** The operation's name in the document (null: anonymous), whether or not the request named it. */
  name: string | null;
  roots: Root[];
  /** Holds types that change without an order event. */
  volatile: boolean;
}

export type CacheTier = 'local' | 'shared';

/**
 * A cached answer, or how to keep the answer about to be computed. `flight` names the computation:
 * equal for concurrent misses of one entry under the same tokens, which may share one.
 */
export type Lookup = { hit: string; tier: CacheTier } | { flight: string; store(body: string): Promise<void> };

export interface ResponseCacheStats {
  hitsLocal: number;
  hitsShared: number;
  misses: number;
  stored: number;
  uncacheable: number;
  invalidations: number;
  entries: number;
}

export interface ResponseCache {
  /** The document's plan; undefined when the cache has nothing to do with it (unparsable, a subscription, an unknown root). */
  plan(query: string, operationName: string | undefined): Plan | undefined;
  /** The cached answer to a query as this caller, or undefined when it cannot be cached. */
  lookup(plan: Plan, identity: Identity, variables: Record<string, unknown> | undefined): Promise<Lookup | undefined>;
  /**
   * After a mutation succeeded: what it changed is stale on every replica before its answer is sent.
   * Answers whether the shared store recorded it (see `orderChanged`).
   */
  changed(plan: Plan, identity: Identity, variables: Record<string, unknown> | undefined): Promise<boolean>;
  /**
   * An order changed (its event arrived): every answer holding it, or a list of its customer's
   * orders, is stale. Answers whether the shared store recorded it. If not (Redis is failing),
   * this replica serves no hit for a TTL, by when every answer stored before the change has
   * expired; every replica sees every event, so each does the same, and the event need not wait.
   */
  orderChanged(orderId: string, customerId: string): Promise<boolean>;
  stats(): ResponseCacheStats;
}

/** What a list tag is named for a caller: admins list every customer's orders. */
const ALL_CUSTOMERS = '*';
const listTag = (customerId: string) => `orders:${customerId}`;
const orderTag = (orderId: string) => `order:${orderId}`;
const PRODUCTS_TAG = 'products';

/** The operation's root fields, through fragments; undefined if a fragment is missing. */
function rootsOf(
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
): Root[] | undefined {
  const roots: Root[] = [];
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode): boolean => {
    for (const node of set.selections) {
      if (node.kind === Kind.FIELD) {
        const arg = node.arguments?.find((a) => a.name.value === 'id' || a.name.value === 'orderId');
        roots.push({ name: node.name.value, orderId: arg?.value });
      } else if (node.kind === Kind.INLINE_FRAGMENT) {
        if (!walk(node.selectionSet)) return false;
      } else {
        if (seen.has(node.name.value)) continue;
        seen.add(node.name.value);
        const fragment = fragments.get(node.name.value);
        if (!fragment || !walk(fragment.selectionSet)) return false;
      }
    }
    return true;
  };
  return walk(operation.selectionSet) ? roots : undefined;
}

function makePlan(schema: GraphQLSchema, query: string, operationName: string | undefined): Plan | undefined {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return undefined; // the usual path answers the syntax error
  }
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation === 'subscription') return undefined;
  const roots = rootsOf(operation, fragmentsOf(document));
  if (!roots) return undefined;
  if (operation.operation === 'query' && !roots.every((r) => QUERY_ROOTS.has(r.name))) return undefined;
  let volatile = roots.some((r) => r.name === 'product' || r.name === 'products');
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const type = typeInfo.getType();
        if (type && VOLATILE_TYPES.has(getNamedType(type).name)) volatile = true;
      },
    }),
  );
  return {
    id: createHash('sha256')
      .update(`${operationName ?? ''}\u0000${query}`)
      .digest('base64url'),
    operation: operation.operation === 'mutation' ? 'mutation' : 'query',
    name: operation.name?.value ?? null,
    roots,
    volatile,
  };
}

/** The value of an argument as sent: a literal, or the variable it names. */
function argumentValue(node: ValueNode | undefined, variables: Record<string, unknown> | undefined): unknown {
  if (!node) return undefined;
  if (node.kind === Kind.VARIABLE) return variables?.[node.name.value];
  if (node.kind === Kind.STRING || node.kind === Kind.INT) return node.value;
  return undefined;
}

/**
 * Tags name what an answer contains. Each tag has a token in the shared store; changing something
 * replaces its tags' tokens, and an entry is served only while every token it was computed under is
 * still current. Tokens are random, so a lost or expired tag can only make entries miss.
 */
function queryTags(
  plan: Plan,
  identity: Identity,
  variables: Record<string, unknown> | undefined,
): string[] | undefined {
  const tags = new Set<string>();
  for (const root of plan.roots) {
    if (root.name === 'order') {
      const id = argumentValue(root.orderId, variables);
      if (typeof id !== 'string' || id === '') return undefined;
      tags.add(orderTag(id));
    } else if (root.name === 'orders') tags.add(listTag(identity.isAdmin ? ALL_CUSTOMERS : identity.customerId));
  }
  if (plan.volatile) tags.add(PRODUCTS_TAG);
  return [...tags];
}

/** Tags a successful mutation makes stale, for everyone (lists of every caller who can see the order). */
function mutationTags(plan: Plan, identity: Identity, variables: Record<string, unknown> | undefined): string[] {
  const tags = new Set<string>();
  const lists = () => {
    tags.add(listTag(ALL_CUSTOMERS));
    if (!identity.isAdmin) tags.add(listTag(identity.customerId));
  };
  for (const root of plan.roots) {
    const id = argumentValue(root.orderId, variables);
    switch (root.name) {
      case 'placeOrder':
        lists();
        tags.add(PRODUCTS_TAG);
        break;
      case 'cancelOrder':
      case 'retrySaga':
      case 'compensateSaga':
        if (typeof id === 'string') tags.add(orderTag(id));
        lists();
        tags.add(PRODUCTS_TAG);
        break;
      case 'retrySagas':
        // Orders it does not name: their sagas are volatile (under the products tag), their
        // statuses move later by events, which mark each order's answers stale.
        lists();
        tags.add(PRODUCTS_TAG);
        break;
      case 'restockProduct':
        tags.add(PRODUCTS_TAG);
        break;
    }
  }
  return [...tags];
}

interface Entry {
  body: string;
  tokens: string[];
  until: number;
}

/** An entry in the shared store: `until`, the tokens, the body, one per line. */
const encode = (e: Entry) => `${e.until}\n${e.tokens.join(' ')}\n${e.body}`;
function decode(raw: string): Entry | undefined {
  const first = raw.indexOf('\n');
  const second = raw.indexOf('\n', first + 1);
  if (first < 0 || second < 0) return undefined;
  return {
    until: Number(raw.slice(0, first)),
    tokens: raw.slice(first + 1, second).split(' '),
    body: raw.slice(second + 1),
  };
}

/**
 * The gateway's response cache: whole answers to queries, keyed by caller (a customer, or any
 * admin), document and variables, in each replica's memory in front of a store every replica
 * shares (Redis). An answer is tagged with what it contains — the order it names, the caller's
 * order lists, products — and is served only while none of those changed: an order's event, or a
 * mutation answered by any replica, makes its tags stale in the shared store before the event is
 * delivered or the mutation answered. Every hit checks the tags in the shared store, so a replica
 * that has not seen an event yet cannot serve an answer older than it. Answers with stock,
 * payments or sagas, which change between order events, are also bounded by `volatileTtlMs`.
 * Mutations and answers with errors are never kept. A store that fails answers as a miss.
 */
export function createResponseCache({
  schema,
  shared,
  ttlMs,
  volatileTtlMs,
  localBytes,
  keyPrefix = 'rc:',
  version = '',
  clock = Date.now,
}: {
  schema: GraphQLSchema;
  shared: Cache;
  ttlMs: number;
  volatileTtlMs: number;
  /** What the in-memory tier may hold, in (UTF-16) bytes of answers; 0: none. */
  localBytes: number;
  keyPrefix?: string;
  /**
   * What answers depend on besides the request (the schema, the limits): entries of another
   * version are never served, while tags stay shared so a change reaches every version.
   */
  version?: string;
  clock?: () => number;
}): ResponseCache {
  const plans = new LRUCache<string, Plan | false>({ max: 1000 });
  const local =
    localBytes > 0
      ? new LRUCache<string, Entry>({
          maxSize: localBytes,
          sizeCalculation: (e) => 2 * e.body.length + 64 * e.tokens.length + 128,
        })
      : undefined;
  const stats: Omit<ResponseCacheStats, 'entries'> = {
    hitsLocal: 0,
    hitsShared: 0,
    misses: 0,
    stored: 0,
    uncacheable: 0,
    invalidations: 0,
  };
  const tagKey = (tag: string) => `${keyPrefix}tag:${tag}`;
  // A tag outlives the entries made under it; if it goes sooner, they only miss.
  const tagTtlSeconds = Math.ceil((2 * Math.max(ttlMs, volatileTtlMs)) / 1000);
  // Set when a change could not be recorded in the shared store: until then this replica serves no hit.
  let distrustUntil = 0;
  const renew = async (tags: string[]) => {
    const fresh = tags.map((tag) => [tagKey(tag), randomUUID()] as [string, string]);
    if (!(await shared.setMany(fresh, tagTtlSeconds))) {
      distrustUntil = clock() + Math.max(ttlMs, volatileTtlMs);
      throw new Error('the response cache could not record a change');
    }
    return fresh.map(([, token]) => token);
  };
  // A tag the shared store does not hold gets its first token once per replica, however many
  // readers miss it at once (each new token would make the others' answers stale at birth).
  const firsts = new Map<string, Promise<string>>();
  const first = (tag: string) => {
    let token = firsts.get(tag);
    if (!token) {
      token = renew([tag]).then(([t]) => t!);
      firsts.set(tag, token);
      const done = () => firsts.delete(tag);
      token.then(done, done);
    }
    return token;
  };
  const current = (entry: Entry | undefined, tokens: (string | null)[], now: number) =>
    entry !== undefined &&
    entry.until > now &&
    entry.tokens.length === tokens.length &&
    entry.tokens.every((t, i) => t === tokens[i]);

  return {
    plan(query, operationName) {
      const key = `${operationName ?? ''}\u0000${query}`;
      let plan = plans.get(key);
      if (plan === undefined) {
        plan = makePlan(schema, query, operationName) ?? false;
        plans.set(key, plan);
      }
      return plan || undefined;
    },

    async lookup(plan, identity, variables) {
      const tags = plan.operation === 'query' ? queryTags(plan, identity, variables) : undefined;
      if (!tags) {
        stats.uncacheable++;
        return undefined;
      }
      const scope = identity.isAdmin ? 'admin' : `customer:${identity.customerId}`;
      const key = `${keyPrefix}entry:${createHash('sha256')
        .update(`${version}\u0000${scope}\u0000${plan.id}\u0000${JSON.stringify(variables ?? {})}`)
        .digest('base64url')}`;
      const held = local?.get(key);
      const keys = tags.map(tagKey);
      const values = await shared.getMany(held ? keys : [...keys, key]);
      const tokens = values.slice(0, tags.length);
      const now = clock();
      if (now < distrustUntil) {
        stats.misses++;
        return undefined;
      }
      if (current(held, tokens, now)) {
        stats.hitsLocal++;
        return { hit: held!.body, tier: 'local' };
      }
      const raw = held ? (await shared.getMany([key]))[0] : values[tags.length];
      const found = raw ? decode(raw) : undefined;
      if (found && current(found, tokens, now)) {
        local?.set(key, found);
        stats.hitsShared++;
        return { hit: found.body, tier: 'shared' };
      }
      stats.misses++;
      // Tokens are fixed before the answer is computed: a change after this point makes it stale.
      const start = tokens.includes(null)
        ? await Promise.all(tags.map((tag, i) => tokens[i] ?? first(tag))).catch(() => undefined)
        : (tokens as string[]);
      if (!start) return undefined; // the shared store is failing: nothing is kept
      return {
        flight: `${key} ${start.join(' ')}`,
        async store(body) {
          const entry: Entry = { body, tokens: start, until: clock() + (plan.volatile ? volatileTtlMs : ttlMs) };
          local?.set(key, entry);
          stats.stored++;
          await shared.setMany([[key, encode(entry)]], Math.ceil((entry.until - clock()) / 1000));
        },
      };
    },

    async changed(plan, identity, variables) {
      const tags = mutationTags(plan, identity, variables);
      if (tags.length === 0) return true;
      stats.invalidations++;
      return renew(tags).then(
        () => true,
        () => false,
      );
    },

    async orderChanged(orderId, customerId) {
      stats.invalidations++;
      return renew([orderTag(orderId), listTag(customerId), listTag(ALL_CUSTOMERS)]).then(
        () => true,
        () => false,
      );
    },

    stats: () => ({ ...stats, entries: local?.size ?? 0 }),
  };
}
