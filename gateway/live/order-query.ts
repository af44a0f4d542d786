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

/** The prefix of order `i`'s response keys in a batched query. */
export const batchPrefix = (i: number) => `_${i}_`;

/**
 * `orderQuery`'s query for `count` orders at once: every field of order `i` aliased with
 * `batchPrefix(i)` and asked for `$id<i>`. One federated read then serves a burst of events.
 */
export function batchQuery(query: DocumentNode, count: number): DocumentNode {
  const [operation, ...fragments] = query.definitions as [OperationDefinitionNode, ...FragmentDefinitionNode[]];
  const variable = (i: number) => ({ kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: `id${i}` } }) as const;
  const fields = operation.selectionSet.selections as FieldNode[];
  return {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        ...operation,
        variableDefinitions: Array.from({ length: count }, (_, i) => ({
          ...operation.variableDefinitions![0]!,
          variable: variable(i),
        })),
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: Array.from({ length: count }, (_, i) =>
            fields.map((field) => ({
              ...field,
              alias: { kind: Kind.NAME, value: `${batchPrefix(i)}${field.alias?.value ?? field.name.value}` } as const,
              arguments: [{ ...field.arguments![0]!, value: variable(i) }],
            })),
          ).flat(),
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
