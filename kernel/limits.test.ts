import { ApolloServer } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import { queryLimitsPlugin } from './limits.ts';

// A schema that nests without end, to reach any depth.
const server = new ApolloServer({
  typeDefs: 'type Query { node: Node } type Node { id: ID, child: Node, children(first: Int): [Node] }',
  resolvers: { Query: { node: () => ({ id: '1' }) }, Node: { child: () => ({ id: '2' }), children: () => [] } },
  plugins: [queryLimitsPlugin({ maxDepth: 4, maxAliases: 2, maxListSize: 10, maxCost: 20, introspection: false })],
});

const run = async (query: string, variables: Record<string, unknown> = {}) => {
  const { body } = await server.executeOperation({ query, variables });
  if (body.kind !== 'single') throw new Error('expected a single result');
  return body.singleResult;
};

describe('query limits', () => {
  it('lets an operation within every limit through', async () => {
    expect((await run('{ node { child { child { id } } } }')).errors).toBeUndefined();
  });

  it.each([
    ['deeper than allowed', '{ node { child { child { child { id } } } } }', {}, 'maxDepth'],
    [
      'deeper through a fragment',
      '{ node { ...F } } fragment F on Node { child { child { child { id } } } }',
      {},
      'maxDepth',
    ],
    ['with too many aliases', '{ a: node { id } b: node { id } c: node { id } }', {}, 'maxAliases'],
    ['with too many aliases of __typename', '{ a: __typename b: __typename c: __typename }', {}, 'maxAliases'],
    [
      'costing more than allowed',
      '{ node { id child { id child { id } } } n2: node { id child { id child { id } } } }',
      {},
      'maxCost',
    ],
    ['asking for the schema where introspection is off', '{ __schema { types { name } } }', {}, 'introspection'],
    ['asking for a page too large', '{ node { children(first: 11) { id } } }', {}, 'maxListSize'],
    [
      'asking for a page too large through a variable',
      'query($n: Int) { node { children(first: $n) { id } } }',
      { n: 1000 },
      'maxListSize',
    ],
  ])('refuses an operation %s with BAD_USER_INPUT naming the limit', async (_what, query, variables, limit) => {
    const result = await run(query, variables);
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit });
  });
});
