import { readFileSync } from 'node:fs';
import {
  buildSchema,
  DangerousChangeType,
  findBreakingChanges,
  findDangerousChanges,
  type GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { apiSchemaPath } from './schema.ts';

/**
 * The public contract (docs/api-contract.graphql, a copy of the shared contract) against the
 * gateway's API schema, with graphql-js's own schema diff: going from the contract to the API must
 * break nothing (no type, field, argument or enum value dropped or changed incompatibly, no required
 * argument added) and change no default or behaviour a client relies on. The API may add.
 */
const contract = buildSchema(readFileSync(new URL('../docs/api-contract.graphql', import.meta.url), 'utf8'));
const api = buildSchema(readFileSync(apiSchemaPath, 'utf8'));

/**
 * Breaking and dangerous changes, but for an optional argument added: graphql-js counts it
 * dangerous, yet a client that does not send it gets what it got before (an addition the contract
 * allows, e.g. `orders(ids:)`).
 */
const changes = (promised: GraphQLSchema, offered: GraphQLSchema) =>
  [
    ...findBreakingChanges(promised, offered),
    ...findDangerousChanges(promised, offered).filter((c) => c.type !== DangerousChangeType.OPTIONAL_ARG_ADDED),
  ].map((c) => `${c.type}: ${c.description}`);

describe('the gateway API schema', () => {
  it('breaks nothing of the contract and changes none of its defaults', () => {
    expect(changes(contract, api)).toEqual([]);
  });

  it('would notice a contract it breaks', () => {
    const broken = buildSchema(
      readFileSync(apiSchemaPath, 'utf8')
        .replace('orders(first: Int = 20,', 'orders(first: Int = 10,')
        .replace(/\n\s+currency: String!/, ''),
    );
    expect(changes(contract, broken)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ARG_DEFAULT_VALUE_CHANGE: Query\.orders arg first/),
        expect.stringMatching(/^FIELD_REMOVED: Order\.currency/),
      ]),
    );
  });
});
