import {
  type DocumentNode,
  defaultFieldResolver,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  Kind,
  type OperationDefinitionNode,
  OperationTypeNode,
  type SelectionNode,
  type SelectionSetNode,
  visit,
} from 'graphql';
import { fragmentsOf } from '../documents.ts';
import type { StatusEvent } from '../events.ts';

/** Objects the gateway already resolved: their fields are read by response key (aliases included). */
const resolved = new WeakSet<object>();

/** Marks an answer of the graph as resolved, so `fieldResolver` serves it as it is. */
export const markResolved = (value: unknown): unknown => {
  if (Array.isArray(value)) value.forEach(markResolved);
  else if (value && typeof value === 'object') {
    resolved.add(value);
    Object.values(value).forEach(markResolved);
  }
  return value;
};

/** Orders of a payload, with the event they are delivered with: their own fields are the event's. */
const asOf = new WeakMap<object, StatusEvent>();

/** An order the graph answered, delivered with `event`: its own fields are served as of the event. */
export const orderAsOf = (order: object, event: StatusEvent): object => {
  asOf.set(order, event);
  return order;
};

/** The fields of an order an event carries, by field name. */
const CARRIED: Record<string, (e: StatusEvent) => unknown> = {
  id: (e) => e.orderId,
  customerId: (e) => e.customerId,
  status: (e) => e.status,
  version: (e) => e.version,
  failureReason: (e) => e.reason,
  updatedAt: (e) => e.at,
};

/** The order as its event carries it, for a selection of carried fields only (`carriedOnly`). */
export const orderFromEvent = (e: StatusEvent) =>
  Object.fromEntries(Object.entries(CARRIED).map(([field, read]) => [field, read(e)]));

/**
 * The socket's field resolver: an order's own fields come from the event it is delivered with;
 * the rest of an object the graph answered is read by response key.
 */
export const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
  if (source && typeof source === 'object') {
    const event = asOf.get(source);
    const carried = event && CARRIED[info.fieldName];
    if (carried) return carried(event);
    if (resolved.has(source)) return (source as Record<string, unknown>)[info.path.key as string];
  }
  return defaultFieldResolver(source, args, context, info);
};

/** Whether every `order` of the query asks only for fields the event carries: no read is needed. */
export function carriedOnly(query: DocumentNode): boolean {
  const fragments = fragmentsOf(query);
  const carried = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).every((node) => {
      if (node.kind === Kind.FIELD)
        return !node.selectionSet && (node.name.value === '__typename' || node.name.value in CARRIED);
      if (node.kind === Kind.INLINE_FRAGMENT) return carried(node.selectionSet);
      return carried(fragments.get(node.name.value)?.selectionSet);
    });
  const operation = query.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  return (
    operation?.kind === Kind.OPERATION_DEFINITION &&
    operation.selectionSet.selections.every((f) => f.kind === Kind.FIELD && carried(f.selectionSet))
  );
}

/** The response key of the id each order of a batched read carries, to match answers to events. */
export const BATCH_ID = '_liveOrderId';

/**
 * `orderQuery`'s query for many orders at once: each `key: order(id: $id) { … }` of it becomes
 * `key: orders(ids: $ids, first: $first) { edges { node { _liveOrderId: id … } } }`. One read serves
 * a burst of events, and the graph fetches the products and payments of all its orders together —
 * one request per subgraph, where an aliased `order` per event would cost one each.
 */
export function batchQuery(query: DocumentNode): DocumentNode {
  const [operation, ...fragments] = query.definitions as [OperationDefinitionNode, ...FragmentDefinitionNode[]];
  const name = (value: string) => ({ kind: Kind.NAME, value }) as const;
  const variable = (value: string) => ({ kind: Kind.VARIABLE, name: name(value) }) as const;
  const type = (of: string, list = false) => {
    const named = { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: name(of) } } as const;
    return list ? ({ kind: Kind.NON_NULL_TYPE, type: { kind: Kind.LIST_TYPE, type: named } } as const) : named;
  };
  const field = (fieldName: string, selections: readonly SelectionNode[], extra: Partial<FieldNode> = {}) =>
    ({
      kind: Kind.FIELD,
      name: name(fieldName),
      selectionSet: { kind: Kind.SELECTION_SET, selections },
      ...extra,
    }) as FieldNode;
  const argument = (argName: string) =>
    ({ kind: Kind.ARGUMENT, name: name(argName), value: variable(argName) }) as const;
  return {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        ...operation,
        name: name('OrdersAsOfEvents'),
        variableDefinitions: [
          { kind: Kind.VARIABLE_DEFINITION, variable: variable('ids'), type: type('ID', true) },
          { kind: Kind.VARIABLE_DEFINITION, variable: variable('first'), type: type('Int') },
        ],
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: (operation.selectionSet.selections as FieldNode[]).map((order) =>
            field(
              'orders',
              [
                field('edges', [
                  field('node', [
                    { kind: Kind.FIELD, alias: name(BATCH_ID), name: name('id') },
                    ...(order.selectionSet?.selections ?? []),
                  ]),
                ]),
              ],
              { alias: order.alias ?? name('order'), arguments: [argument('ids'), argument('first')] },
            ),
          ),
        },
      },
      ...fragments,
    ],
  };
}

/** Every `order` selection under the subscription's root field, by response key (aliases kept apart). */
function orderSelections(info: GraphQLResolveInfo): Map<string, FieldNode[]> {
  const byKey = new Map<string, FieldNode[]>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined, atEvent: boolean) => {
    for (const node of set?.selections ?? []) {
      if (node.kind === Kind.INLINE_FRAGMENT) walk(node.selectionSet, atEvent);
      else if (node.kind === Kind.FRAGMENT_SPREAD) {
        if (seen.has(node.name.value)) continue;
        seen.add(node.name.value);
        walk(info.fragments[node.name.value]?.selectionSet, atEvent);
      } else if (!atEvent)
        walk(node.selectionSet, true); // the root field: its selection is the event
      else if (node.name.value === 'order') {
        const key = node.alias?.value ?? node.name.value;
        byKey.set(key, [...(byKey.get(key) ?? []), node]);
      }
    }
  };
  walk(info.operation.selectionSet, false);
  return byKey;
}

/**
 * `query($id: ID!) { a: order(id: $id) { …a's selection… } b: order(id: $id) { … } }`: every
 * `order` of the subscriber's operation in one query, so an event costs one federated read however
 * many aliases ask for its order.
 */
export function orderQuery(info: GraphQLResolveInfo): DocumentNode {
  const byKey = orderSelections(info);
  const used = new Set<string>();
  const collect = (node: unknown) =>
    visit(node as DocumentNode, {
      FragmentSpread(spread) {
        if (used.has(spread.name.value)) return;
        used.add(spread.name.value);
        const fragment = info.fragments[spread.name.value];
        if (fragment) collect(fragment);
      },
    });
  const id = { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'id' } } as const;
  const fields = [...byKey].map(([key, nodes]) => {
    const selections = nodes.flatMap((node) => node.selectionSet?.selections ?? []);
    selections.forEach(collect);
    return {
      kind: Kind.FIELD,
      alias: { kind: Kind.NAME, value: key },
      name: { kind: Kind.NAME, value: 'order' },
      arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'id' }, value: id }],
      selectionSet: { kind: Kind.SELECTION_SET, selections },
    } as const;
  });
  const fragments: FragmentDefinitionNode[] = [...used].flatMap((name) => info.fragments[name] ?? []);
  return {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        name: { kind: Kind.NAME, value: 'OrderAsOfEvent' },
        variableDefinitions: [
          {
            kind: Kind.VARIABLE_DEFINITION,
            variable: id,
            type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
          },
        ],
        selectionSet: { kind: Kind.SELECTION_SET, selections: fields },
      },
      ...fragments,
    ],
  };
}
