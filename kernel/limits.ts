import type { ApolloServerPlugin } from '@apollo/server';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  type ValidationRule,
  validate,
  visit,
} from 'graphql';
import { ErrorCode } from './errors.ts';

export interface QueryLimits {
  /** Deepest selection allowed (fragments counted where they are spread). */
  maxDepth: number;
  /** Most aliases in one document, `__typename` aliases included. */
  maxAliases: number;
  /** Largest page a `first` argument may ask for, literal or variable. */
  maxListSize: number;
  /** Highest estimated cost (GraphQL Armor's: objects 2, scalars 1, ×1.5 per level). */
  maxCost: number;
  /** Whether `__schema` and `__type` may be asked for (off in production). */
  introspection: boolean;
}

const rejected = (message: string, limit: string | undefined) =>
  new GraphQLError(message, {
    extensions: { code: ErrorCode.BadUserInput, ...(limit ? { limit } : {}), http: { status: 400 } },
  });

/** The largest `first` the document asks for, with variables resolved. */
function largestPage(document: DocumentNode, variables: Record<string, unknown>): number {
  let largest = 0;
  visit(document, {
    Argument(node) {
      if (node.name.value !== 'first') return;
      const value =
        node.value.kind === Kind.INT
          ? Number(node.value.value)
          : node.value.kind === Kind.VARIABLE
            ? Number(variables[node.value.name.value] ?? 0)
            : 0;
      if (Number.isFinite(value)) largest = Math.max(largest, value);
    },
  });
  return largest;
}

/** Which limit a rule's message speaks of; none for GraphQL's own validation. */
const limitOf = (message: string) =>
  /alias/i.test(message)
    ? 'maxAliases'
    : /cost/i.test(message)
      ? 'maxCost'
      : /introspection/i.test(message)
        ? 'introspection'
        : /depth/i.test(message)
          ? 'maxDepth'
          : undefined;

/**
 * Checks an operation against every limit: depth, aliases and cost by GraphQL Armor's rules,
 * introspection, and the page sizes it asks for. Returns the first limit broken, as a
 * BAD_USER_INPUT error naming it. The same check guards HTTP, the socket and the subgraphs.
 */
export function limitChecker(
  limits: QueryLimits,
  /** Also GraphQL's own validation, in the same pass (where no server validated the document first). */
  { standard = false }: { standard?: boolean } = {},
): (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>) => GraphQLError | undefined {
  const rules: ValidationRule[] = [
    ...(standard ? specifiedRules : []),
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, propagateOnRejection: true }),
    maxAliasesRule({ n: limits.maxAliases, allowList: [], propagateOnRejection: true }),
    costLimitRule({
      maxCost: limits.maxCost,
      ignoreIntrospection: true,
      flattenFragments: true,
      propagateOnRejection: true,
    }),
    ...(limits.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
  return (schema, document, variables) => {
    let error: GraphQLError | undefined;
    try {
      [error] = validate(schema, document, rules);
    } catch (thrown) {
      // The rules throw their rejection rather than report it.
      if (!(thrown instanceof GraphQLError)) throw thrown;
      error = thrown;
    }
    if (error) {
      const message = error.message.replace(/^Syntax Error:\s*/, '');
      return rejected(message, limitOf(message));
    }
    const page = largestPage(document, variables);
    if (page > limits.maxListSize)
      return rejected(`A page may hold at most ${limits.maxListSize} items; ${page} were asked for`, 'maxListSize');
    return undefined;
  };
}

/** Refuses operations over the limits before anything is resolved (see `limitChecker`). */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin {
  const check = limitChecker(limits);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, schema }) {
          const error = check(schema as GraphQLSchema, document, request.variables ?? {});
          if (error) throw error;
        },
      };
    },
  };
}
