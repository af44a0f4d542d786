import { readFileSync } from 'node:fs';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { apiSchemaPath } from './schema.ts';

/**
 * The public contract (docs/api-contract.graphql, a copy of the shared contract) against the
 * gateway's API schema: every type, field, argument (with its default) and enum value of the
 * contract must be there with the same type. The gateway may add; it may not drop or change.
 */
const contract = buildSchema(readFileSync(new URL('../docs/api-contract.graphql', import.meta.url), 'utf8'));
const api = buildSchema(readFileSync(apiSchemaPath, 'utf8'));

const kind = (t: GraphQLNamedType) =>
  isObjectType(t) ? 'object' : isInputObjectType(t) ? 'input' : isEnumType(t) ? 'enum' : isScalarType(t) ? 'scalar' : isInterfaceType(t) ? 'interface' : isUnionType(t) ? 'union' : 'other';

/** Every difference between what the contract promises and what the API offers. */
function differences(promised: GraphQLSchema, offered: GraphQLSchema): string[] {
  const out: string[] = [];
  for (const type of Object.values(promised.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const other = offered.getType(type.name);
    if (!other) {
      out.push(`missing type ${type.name}`);
      continue;
    }
    if (kind(type) !== kind(other)) out.push(`${type.name} is a ${kind(other)}, not a ${kind(type)}`);
    if ((isObjectType(type) || isInterfaceType(type)) && (isObjectType(other) || isInterfaceType(other))) {
      const fields = other.getFields();
      for (const field of Object.values(type.getFields())) {
        const got = fields[field.name];
        if (!got) {
          out.push(`missing field ${type.name}.${field.name}`);
          continue;
        }
        if (String(got.type) !== String(field.type)) out.push(`${type.name}.${field.name} is ${String(got.type)}, not ${String(field.type)}`);
        for (const arg of field.args) {
          const a = got.args.find((g) => g.name === arg.name);
          if (!a) out.push(`missing argument ${type.name}.${field.name}(${arg.name})`);
          else {
            if (String(a.type) !== String(arg.type)) out.push(`${type.name}.${field.name}(${arg.name}) is ${String(a.type)}, not ${String(arg.type)}`);
            if (JSON.stringify(a.defaultValue) !== JSON.stringify(arg.defaultValue)) out.push(`${type.name}.${field.name}(${arg.name}) defaults to ${JSON.stringify(a.defaultValue)}, not ${JSON.stringify(arg.defaultValue)}`);
          }
        }
        for (const a of got.args) if (!field.args.some((f) => f.name === a.name) && String(a.type).endsWith('!') && a.defaultValue === undefined) out.push(`${type.name}.${field.name} adds a required argument ${a.name}`);
      }
    }
    if (isInputObjectType(type) && isInputObjectType(other)) {
      const fields = other.getFields();
      for (const field of Object.values(type.getFields())) {
        const got = fields[field.name];
        if (!got) out.push(`missing input field ${type.name}.${field.name}`);
        else if (String(got.type) !== String(field.type)) out.push(`${type.name}.${field.name} is ${String(got.type)}, not ${String(field.type)}`);
      }
      for (const f of Object.values(fields)) if (!type.getFields()[f.name] && String(f.type).endsWith('!') && f.defaultValue === undefined) out.push(`${type.name} adds a required input field ${f.name}`);
    }
    if (isEnumType(type) && isEnumType(other)) {
      for (const value of type.getValues()) if (!other.getValue(value.name)) out.push(`missing enum value ${type.name}.${value.name}`);
    }
  }
  for (const root of ['Query', 'Mutation', 'Subscription'] as const) {
    const promisedRoot = root === 'Query' ? promised.getQueryType() : root === 'Mutation' ? promised.getMutationType() : promised.getSubscriptionType();
    const offeredRoot = root === 'Query' ? offered.getQueryType() : root === 'Mutation' ? offered.getMutationType() : offered.getSubscriptionType();
    if (promisedRoot && promisedRoot.name !== offeredRoot?.name) out.push(`the ${root} root type is ${offeredRoot?.name ?? 'missing'}`);
  }
  return out;
}

describe('the gateway API schema', () => {
  it('offers every type, field, argument and enum value of the contract, with the same types', () => {
    expect(differences(contract, api)).toEqual([]);
  });

  it('would notice a contract it breaks', () => {
    const broken = buildSchema(readFileSync(apiSchemaPath, 'utf8').replace('orders(first: Int = 20,', 'orders(first: Int = 10,').replace(/\n\s+currency: String!/, ''));
    expect(differences(contract, broken)).toEqual(expect.arrayContaining(['Query.orders(first) defaults to 10, not 20', 'missing field Order.currency']));
  });
});
