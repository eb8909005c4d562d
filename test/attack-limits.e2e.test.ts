import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

/**
 * Oversized pages and over-long time ranges, for every root list of the live schema (read by
 * introspection, so that a list added later is covered without touching this file).
 */
let server: TestServer;
let admin: string;
let schema: GraphQLSchema;
const DAY_MS = 86_400_000;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login('admin');
  const res = await server.gql<IntrospectionQuery>(getIntrospectionQuery(), {}, admin);
  schema = buildClientSchema(res.data!);
});
afterAll(async () => server?.stop());

const rootFields = () => Object.values(schema.getQueryType()!.getFields());
const isConnection = (field: GraphQLField<unknown, unknown>) => getNamedType(field.type).name.endsWith('Connection');
/** Root lists that take a page size. */
const pagedLists = () => rootFields().filter((f) => isConnection(f) && f.args.some((a) => a.name === 'first'));

/** An input type's required `from`/`to` DateTime pair: the list demands a bounded time range. */
function requiredRange(type: GraphQLInputType): boolean {
  const named = getNamedType(type);
  if (!isInputObjectType(named)) return false;
  const fields = named.getFields();
  return ['from', 'to'].every(
    (f) => fields[f] && isNonNullType(fields[f].type) && getNamedType(fields[f].type).name === 'DateTime',
  );
}

/** A value for a required input: the smallest valid one (a one-day range for from/to). */
function sample(type: GraphQLInputType, name: string): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [sample(inner.ofType, name)];
  if (isInputObjectType(inner)) {
    return Object.fromEntries(
      Object.values(inner.getFields())
        .filter((f) => isNonNullType(f.type) && f.defaultValue === undefined)
        .map((f) => [f.name, sample(f.type, f.name)]),
    );
  }
  if (isEnumType(inner)) return inner.getValues()[0]!.value;
  if (isScalarType(inner)) {
    if (inner.name === 'DateTime') return new Date(Date.now() - (name === 'from' ? DAY_MS : 0)).toISOString();
    if (inner.name === 'LocalDate')
      return new Date(Date.now() - (name === 'from' ? DAY_MS : 0)).toISOString().slice(0, 10);
    if (inner.name === 'Int') return 1;
    if (inner.name === 'Boolean') return false;
    if (inner.name === 'String') return 'x';
  }
  throw new Error(`no sample value for ${String(type)} (${name}): teach sample() this type`);
}

/** Calls a root list with the given arguments (and a sample for every other required one). */
function callList(field: GraphQLField<unknown, unknown>, given: Record<string, unknown>) {
  const args = field.args.filter((a) => a.name in given || (isNonNullType(a.type) && a.defaultValue === undefined));
  const variables = Object.fromEntries(
    args.map((a) => [a.name, a.name in given ? given[a.name] : sample(a.type, a.name)]),
  );
  const declare = (a: GraphQLArgument) => `$${a.name}: ${String(a.type)}`;
  const query = args.length
    ? `query(${args.map(declare).join(', ')}) { ${field.name}(${args.map((a) => `${a.name}: $${a.name}`).join(', ')}) { __typename } }`
    : `{ ${field.name} { __typename } }`;
  return server.gql(query, variables, admin);
}

describe('page size', () => {
  it('finds the root lists in the schema', () => {
    const names = pagedLists().map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'orgUnits',
        'meterBoxes',
        'meters',
        'customers',
        'users',
        'readings',
        'readingRoutes',
        'metersDueForVerification',
        'hazardReports',
        'staffPositions',
      ]),
    );
  });

  it('refuses an oversized or negative first on every root list, naming the argument', async () => {
    const max = server.config.maxPageSize;
    for (const field of pagedLists()) {
      expect((await callList(field, { first: max })).errors, `${field.name}(first: ${max})`).toBeUndefined();
      for (const first of [max + 1, -1]) {
        const error = onlyError(await callList(field, { first }));
        expect(error.extensions?.code, `${field.name}(first: ${first})`).toBe('BAD_USER_INPUT');
        expect(error.path).toEqual([field.name]);
        expect(error.extensions?.fields?.map((f) => f.path)).toEqual([['first']]);
      }
      // A page of a million costs far more than the cost limit allows: refused before anything runs.
      const huge = onlyError(await callList(field, { first: 1_000_000 }));
      expect(huge.extensions?.code, `${field.name}(first: 1000000)`).toBe('BAD_USER_INPUT');
      expect(huge.message).toMatch(/^Query Cost limit of 20000 exceeded/);
    }
  });
});

describe('time range', () => {
  const rangedLists = () =>
    rootFields()
      .filter(isConnection)
      .flatMap((field) => field.args.filter((a) => requiredRange(a.type)).map((arg) => ({ field, arg })));

  it('finds the lists that demand a time range', () => {
    expect(rangedLists().map(({ field, arg }) => `${field.name}.${arg.name}`)).toContain('readings.filter');
  });

  it('refuses a range longer than the maximum, or one that ends before it starts, naming the field', async () => {
    const maxDays = server.config.maxReadingRangeDays;
    const to = new Date();
    const from = (days: number) => new Date(to.getTime() - days * DAY_MS).toISOString();
    for (const { field, arg } of rangedLists()) {
      const withRange = (start: string, end: string) => ({
        ...(sample(arg.type, arg.name) as object),
        from: start,
        to: end,
      });
      const fine = await callList(field, { [arg.name]: withRange(from(maxDays), to.toISOString()) });
      expect(fine.errors, `${field.name} over ${maxDays} days`).toBeUndefined();
      for (const range of [
        withRange(from(maxDays + 1), to.toISOString()),
        withRange(from(3650), to.toISOString()),
        withRange(to.toISOString(), from(1)),
      ]) {
        const error = onlyError(await callList(field, { [arg.name]: range }));
        expect(error.extensions?.code, `${field.name} ${JSON.stringify(range)}`).toBe('BAD_USER_INPUT');
        expect(error.path).toEqual([field.name]);
        expect(error.extensions?.fields?.map((f) => f.path)).toEqual([[arg.name, 'to']]);
      }
    }
  });
});
