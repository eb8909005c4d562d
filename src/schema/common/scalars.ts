import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { DateTimeResolver, LocalDateResolver } from 'graphql-scalars';
import { DECIMAL_PATTERN, formatDecimal } from '../../shared/decimal.js';

const decimalError = (value: unknown) =>
  new GraphQLError(`Decimal must be a string such as "1234.56", got ${JSON.stringify(value)}`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });

function parseDecimalLiteral(value: unknown): string {
  // Only strings: a JSON number has already been through a binary float on the client.
  if (typeof value !== 'string' || !DECIMAL_PATTERN.test(value.trim())) throw decimalError(value);
  return formatDecimal(value.trim());
}

/** Exact decimal carried as a string (energy in kWh, money in CNY, ratios). */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number as a string, e.g. "12345.67". Never a float.',
  serialize: (value) => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')
      return formatDecimal(String(value));
    if (value && typeof (value as { toFixed?: unknown }).toFixed === 'function') return formatDecimal(value as never);
    throw new GraphQLError('Decimal cannot represent this value');
  },
  parseValue: parseDecimalLiteral,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw decimalError((ast as { value?: unknown }).value);
    return parseDecimalLiteral(ast.value);
  },
});

export const DateTimeScalar = DateTimeResolver;
export const LocalDateScalar = LocalDateResolver;
