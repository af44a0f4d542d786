import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, Kind, validate, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import { ErrorCode } from '../platform/errors.ts';

export interface QueryLimits {
  /** Deepest selection allowed (fragments counted where they are spread). */
  maxDepth: number;
  /** Most aliases in one document. */
  maxAliases: number;
  /** Largest page a `first` argument may ask for, literal or variable. */
  maxListSize: number;
}

const rejected = (message: string, limit: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BadUserInput, limit, http: { status: 400 } } });

/** The largest `first` the document asks for, with variables resolved. */
function largestPage(document: DocumentNode, variables: Record<string, unknown>): number {
  let largest = 0;
  visit(document, {
    Argument(node) {
      if (node.name.value !== 'first') return;
      const value = node.value.kind === Kind.INT ? Number(node.value.value) : node.value.kind === Kind.VARIABLE ? Number(variables[node.value.name.value] ?? 0) : 0;
      if (Number.isFinite(value)) largest = Math.max(largest, value);
    },
  });
  return largest;
}

/**
 * Refuses operations that are too deep, use too many aliases or ask for pages too large, before
 * any subgraph is asked, with BAD_USER_INPUT and the limit that was hit. Depth and aliases are
 * counted by GraphQL Armor's rules. Request bodies are bounded by the HTTP layer.
 */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin {
  const rules = [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, propagateOnRejection: true }),
    maxAliasesRule({ n: limits.maxAliases, propagateOnRejection: true }),
  ];
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, schema }) {
          let error: GraphQLError | undefined;
          try {
            [error] = validate(schema as GraphQLSchema, document, rules);
          } catch (thrown) {
            // The rules throw their rejection rather than report it.
            if (!(thrown instanceof GraphQLError)) throw thrown;
            error = thrown;
          }
          if (error) {
            const message = error.message.replace(/^Syntax Error:\s*/, '');
            throw rejected(message, /alias/i.test(message) ? 'maxAliases' : 'maxDepth');
          }
          const page = largestPage(document, request.variables ?? {});
          if (page > limits.maxListSize) throw rejected(`A page may hold at most ${limits.maxListSize} items; ${page} were asked for`, 'maxListSize');
        },
      };
    },
  };
}
