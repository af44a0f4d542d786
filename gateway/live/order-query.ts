import {
  type DocumentNode,
  defaultFieldResolver,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  Kind,
  OperationTypeNode,
  type SelectionSetNode,
  visit,
} from 'graphql';

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

/** The socket's field resolver: an object the graph answered is read by response key. */
export const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) =>
  source && typeof source === 'object' && resolved.has(source)
    ? (source as Record<string, unknown>)[info.path.key as string]
    : defaultFieldResolver(source, args, context, info);

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
