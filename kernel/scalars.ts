import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const invalid = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/** ISO-8601 UTC timestamps; accepts Date or string from resolvers. */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize: (value) => {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue: (value) => {
    const date = new Date(String(value));
    if (typeof value !== 'string' || Number.isNaN(date.getTime())) throw invalid('DateTime must be an ISO-8601 string');
    return date;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime()))
      throw invalid('DateTime must be an ISO-8601 string');
    return new Date(ast.value);
  },
});

const decimalPattern = /^-?\d+(\.\d+)?$/;

/** Exact decimals as strings ("59.97"), never floats. */
export const Decimal = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  serialize: (value) => {
    if (typeof value !== 'string' || !decimalPattern.test(value))
      throw new GraphQLError('Decimal must be a decimal string');
    return value;
  },
  parseValue: (value) => {
    if (typeof value !== 'string' || !decimalPattern.test(value))
      throw invalid('Decimal must be a decimal string such as "59.97"');
    return value;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || !decimalPattern.test(ast.value))
      throw invalid('Decimal must be a decimal string such as "59.97"');
    return ast.value;
  },
});
