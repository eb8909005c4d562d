import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLScalarType,
} from 'graphql';
import { DateTimeScalar, DecimalScalar, LocalDateScalar } from '../../src/schema/common/index.js';
import { toGlobalId } from '../../src/shared/global-id.js';

/**
 * fast-check arbitraries derived from a GraphQL schema: for every argument of a field, a mix of
 * plausible values (ids of objects that exist, well-formed codes, dates, decimals) and hostile ones
 * (empty, huge, NUL characters, SQL metacharacters, overflowing numbers, wrong shapes). Only the
 * types drive the derivation, so a field added to the schema is covered without changes here; the
 * hints by argument name only make plausible values more likely to get past validation.
 */

/** Global ids of existing objects by type name, filled before and during a run. */
export type IdPool = Map<string, string[]>;

export interface ArbitraryContext {
  ids: IdPool;
  /** Plausible strings by argument name (`Type.field` or `field`), e.g. codes that exist. */
  strings: Record<string, fc.Arbitrary<string>>;
  /** Plausible JSON objects by argument name (`Type.field` or `field`). */
  objects: Record<string, fc.Arbitrary<Record<string, unknown>>>;
  /** Plausible whole numbers by argument name. */
  ints: Record<string, fc.Arbitrary<number>>;
}

/** Where a value goes: the input type (or field) that holds it and its name there. */
interface Site {
  owner: string;
  name: string;
}

const hint = <T>(table: Record<string, T>, site: Site): T | undefined =>
  table[`${site.owner}.${site.name}`] ?? table[site.name];

// ---------------------------------------------------------------------------------------------------------
// Hostile values
// ---------------------------------------------------------------------------------------------------------

/** Strings that have broken servers before: control characters, SQL/LIKE metacharacters, sizes, Unicode. */
export const HOSTILE_STRINGS: string[] = [
  '',
  ' ',
  '\t\n\r',
  '\u0000',
  'abc\u0000def',
  '\u0000'.repeat(20),
  "'; drop table meter; --",
  "' or '1'='1",
  '%',
  '_%\\',
  '\\',
  '"',
  '${x}',
  '<script>alert(1)</script>',
  '\ud800',
  'a\udc00b',
  '😀'.repeat(100),
  'e\u0301\u0301\u0301',
  '\u202eevil',
  '\ufeff',
  'ﷺ'.repeat(50),
  '中文名称',
  'x'.repeat(33),
  'x'.repeat(65),
  'x'.repeat(129),
  'x'.repeat(256),
  'x'.repeat(513),
  'x'.repeat(5000),
  'x'.repeat(300_000),
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  'null',
  'undefined',
  '__proto__',
  '../../etc/passwd',
];

const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  // Any code point, control characters (NUL included) and lone surrogates.
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
      maxLength: 3,
    }),
  },
);

/** Values of the wrong shape for any position: coercion must turn them away, never a resolver. */
function deepList(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}
function deepObject(depth: number): unknown {
  let value: unknown = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}
export const wrongShape: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  {},
  [],
  deepList(40),
  deepObject(40),
  0,
  -1,
  1.5,
  1e308,
  true,
  'x',
  '\u0000',
  [null],
);

const INT_EDGES = [0, -1, 1, 2, 7, 28, 29, 31, 60, 1440, 1441, 32767, 65535, 2_147_483_647, -2_147_483_648];
// Outside GraphQL's Int (32 bits) or not whole: refused by coercion.
const INT_INVALID: unknown[] = [2_147_483_648, -2_147_483_649, 1e20, 1.5, '1', Number.MAX_SAFE_INTEGER + 2];

const DECIMAL_EDGES = [
  '0',
  '1',
  '-1',
  '-0',
  '0.0001',
  '0.00001',
  '1.23456789',
  '12345.67',
  '99999999.9999',
  '9999999999.99',
  '9999999999999999.9999',
  '99999999999999999999.9999',
  '9'.repeat(40),
  '1'.padEnd(1000, '0'),
  `0.${'0'.repeat(200)}1`,
  '1e5',
  '1E-7',
  'NaN',
  'Infinity',
  '-Infinity',
  '',
  ' ',
  ' 1 ',
  '1,5',
  '0x10',
  '1.',
  '.5',
  '+1',
  '00001',
  '١٢٣',
];

const now = Date.now();
const DAY = 86_400_000;
const DATE_TIME_EDGES = [
  '2024-02-30T00:00:00Z',
  '2023-02-29T12:00:00Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '2024-01-01',
  '2024-01-01T25:00:00Z',
  '2024-06-01T12:00:00+15:00',
  '2024-06-01T12:00:00-12:00',
  '2024-06-01T12:00:00.123456789Z',
  '2024-06-01T12:00:00',
  'now',
  '',
];

const LOCAL_DATE_EDGES = [
  '2023-02-29',
  '2024-02-29',
  '0000-01-01',
  '0001-01-01',
  '9999-12-31',
  '2024-13-01',
  '2024-00-10',
  '2024-1-1',
  '99999-01-01',
  '',
];

const plausibleDateTime = fc
  .tuple(fc.integer({ min: now - 40 * DAY, max: now + DAY }), fc.constantFrom('Z', '+08:00', '-05:00', '+00:00'))
  .map(([ms, offset]) => {
    const iso = new Date(ms).toISOString();
    if (offset === 'Z') return iso;
    const shift = (offset.startsWith('-') ? -1 : 1) * Number(offset.slice(1, 3)) * 3_600_000;
    return new Date(ms + shift).toISOString().replace('Z', offset);
  });

const anyDateTime = fc
  .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

const plausibleDecimal = fc.oneof(
  fc.stringMatching(/^\d{1,6}(\.\d{1,2})?$/),
  fc.stringMatching(/^-?\d{1,4}\.\d{1,6}$/),
);

// ---------------------------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------------------------

const HOSTILE_IDS: unknown[] = [
  toGlobalId('Meter', 0),
  toGlobalId('Meter', '2147483648'),
  toGlobalId('Meter', '99999999999999999999'),
  toGlobalId('Meter', 999_999),
  toGlobalId('Reading', '9223372036854775808'),
  toGlobalId('Alarm', '9223372036854775807'),
  toGlobalId('Nope', 1),
  toGlobalId('Meter', '-1'),
  toGlobalId('Meter', '1 or 1=1'),
  toGlobalId('Meter', '1\u0000'),
  Buffer.from('Meter:1').toString('base64'),
  'not-an-id',
  '',
  '\u0000',
  'A'.repeat(300),
  '1',
  12345,
];

/** The type whose ids an argument most likely wants: `meterId` -> Meter, `UpdateMeterInput.id` -> Meter. */
function idTypeOf(site: Site, pool: IdPool): string | undefined {
  const types = [...pool.keys()].sort((a, b) => b.length - a.length);
  const lower = (s: string) => s.toLowerCase();
  const special: Record<string, string> = { parentid: 'OrgUnit', orgunitsubtree: 'OrgUnit', subtreeof: 'OrgUnit' };
  const name = lower(site.name);
  if (special[name]) return special[name];
  if (name !== 'id' && name !== 'ids') return types.find((t) => name.includes(lower(t)));
  return types.find((t) => lower(site.owner).includes(lower(t)));
}

function idArbitrary(site: Site, ctx: ArbitraryContext, mode: Mode): fc.Arbitrary<unknown> {
  const all = [...ctx.ids.values()].flat();
  const own = ctx.ids.get(idTypeOf(site, ctx.ids) ?? '') ?? [];
  const parts: fc.WeightedArbitrary<unknown>[] = [
    { weight: mode === 'plausible' ? 1 : 2, arbitrary: fc.constantFrom(...HOSTILE_IDS) },
  ];
  if (own.length) parts.push({ weight: mode === 'plausible' ? 12 : 7, arbitrary: fc.constantFrom(...own) });
  // An id of an existing object of another type: must be NOT_FOUND or BAD_USER_INPUT, never a crash.
  if (all.length) parts.push({ weight: 2, arbitrary: fc.constantFrom(...all) });
  return fc.oneof(...parts);
}

// ---------------------------------------------------------------------------------------------------------
// Values by type
// ---------------------------------------------------------------------------------------------------------

/**
 * How hostile one generated input is, chosen per input so that some inputs get deep:
 * - plausible: well-typed and mostly well-formed, to reach the database (and its constraints);
 * - typed: passes GraphQL's coercion, so every value meets the resolver's own validation;
 * - anything: wrong shapes, nulls for required values, unknown fields, out-of-range numbers.
 */
export type Mode = 'plausible' | 'typed' | 'anything';

const accepted = (scalar: GraphQLScalarType, values: unknown[]) =>
  values.filter((v) => {
    try {
      scalar.parseValue(v);
      return true;
    } catch {
      return false;
    }
  });
const VALID_DECIMAL_EDGES = accepted(DecimalScalar, DECIMAL_EDGES);
const VALID_DATE_TIME_EDGES = accepted(DateTimeScalar, DATE_TIME_EDGES);
const VALID_LOCAL_DATE_EDGES = accepted(LocalDateScalar, LOCAL_DATE_EDGES);

const plausibleLocalDate = fc
  .integer({ min: now - 400 * DAY, max: now + 800 * DAY })
  .map((ms) => new Date(ms).toISOString().slice(0, 10));

function stringArbitrary(site: Site, ctx: ArbitraryContext, mode: Mode): fc.Arbitrary<unknown> {
  const plausible = hint(ctx.strings, site) ?? fc.stringMatching(/^[A-Za-z][A-Za-z0-9 _.-]{0,30}$/);
  if (mode === 'plausible')
    return fc.oneof({ weight: 30, arbitrary: plausible }, { weight: 1, arbitrary: hostileString });
  return fc.oneof(
    { weight: 6, arbitrary: plausible },
    { weight: 3, arbitrary: hostileString },
    // Plausible with something hostile around it: passes a length check, not a character check.
    { weight: 1, arbitrary: fc.tuple(plausible, hostileString).map(([a, b]) => a + b) },
  );
}

/** `plausible` always; the edges of `typed` from the typed mode on; `invalid` only with anything. */
function layered(
  mode: Mode,
  plausible: fc.Arbitrary<unknown>,
  typed: unknown[] | fc.Arbitrary<unknown>,
  invalid: unknown[] = [],
): fc.Arbitrary<unknown> {
  if (mode === 'plausible') return plausible;
  const edges = Array.isArray(typed) ? (typed.length ? fc.constantFrom(...typed) : plausible) : typed;
  const parts: fc.WeightedArbitrary<unknown>[] = [
    { weight: 6, arbitrary: plausible },
    { weight: 3, arbitrary: edges },
  ];
  if (mode === 'anything' && invalid.length) parts.push({ weight: 2, arbitrary: fc.constantFrom(...invalid) });
  return fc.oneof(...parts);
}

function scalarArbitrary(name: string, site: Site, ctx: ArbitraryContext, mode: Mode): fc.Arbitrary<unknown> {
  switch (name) {
    case 'ID':
      return idArbitrary(site, ctx, mode);
    case 'String':
      return stringArbitrary(site, ctx, mode);
    case 'Int':
      return layered(mode, hint(ctx.ints, site) ?? fc.integer({ min: -5, max: 100 }), INT_EDGES, INT_INVALID);
    case 'Float':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1e308, -1e308));
    case 'Boolean':
      return layered(mode, fc.boolean(), [true, false], ['true', 1]);
    case 'Decimal':
      return layered(mode, plausibleDecimal, VALID_DECIMAL_EDGES, [
        ...DECIMAL_EDGES.filter((v) => !VALID_DECIMAL_EDGES.includes(v)),
        1.5,
        100,
        1e308,
      ]);
    case 'DateTime':
      return layered(mode, plausibleDateTime, fc.oneof(anyDateTime, fc.constantFrom(...VALID_DATE_TIME_EDGES)), [
        ...DATE_TIME_EDGES.filter((v) => !VALID_DATE_TIME_EDGES.includes(v)),
        0,
        1e15,
      ]);
    case 'LocalDate':
      return layered(
        mode,
        plausibleLocalDate,
        VALID_LOCAL_DATE_EDGES,
        LOCAL_DATE_EDGES.filter((v) => !VALID_LOCAL_DATE_EDGES.includes(v)),
      );
    case 'JSONObject':
      return jsonObjectArbitrary(site, ctx, mode);
    default:
      // A scalar added later: strings of every kind, then whatever JSON can carry.
      return fc.oneof(stringArbitrary(site, ctx, mode), fc.jsonValue({ maxDepth: 3 }));
  }
}

function jsonObjectArbitrary(site: Site, ctx: ArbitraryContext, mode: Mode): fc.Arbitrary<unknown> {
  const plausible = hint(ctx.objects, site);
  if (mode === 'plausible') return plausible ?? fc.constant({});
  const hostile = fc.constantFrom<unknown>(
    { '\u0000': '\u0000' },
    { key: 'abc\u0000def' },
    { '\ud800': '\udc00' },
    deepObject(150),
    // Deeper than a recursive walk over the value should go.
    deepObject(2_500),
    { list: deepList(150) },
    { big: 'x'.repeat(10_000) },
    Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])),
    JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}') as unknown,
    { seed: 1e308, port: -1, host: '', unitId: 2 ** 53 },
  );
  const generic = fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });
  return fc.oneof(
    ...(plausible ? [{ weight: 6, arbitrary: plausible as fc.Arbitrary<unknown> }] : []),
    { weight: 2, arbitrary: generic },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 3, arbitrary: hostile },
    // Not an object at all.
    ...(mode === 'anything'
      ? [{ weight: 1, arbitrary: fc.constantFrom<unknown>([1, 2, 3], 'not an object', 42) }]
      : []),
  );
}

/** Long lists past every documented maximum (32 points, 5000 import rows...). */
const LONG_LENGTHS = [33, 51, 101, 257, 5001];
/** A long list stays a little above the server's body limit (5 MB): a huge item is not sent 5000 times. */
const MAX_LIST_BYTES = 6_000_000;
const itemsWithin = (item: unknown, bytes: number) =>
  Math.max(1, Math.floor(bytes / (JSON.stringify(item ?? null).length + 1)));

function valueArbitrary(
  type: GraphQLInputType,
  site: Site,
  ctx: ArbitraryContext,
  depth: number,
  mode: Mode,
): fc.Arbitrary<unknown> {
  const inner = () => nullableInner(isNonNullType(type) ? type.ofType : type, site, ctx, depth, mode);
  if (isNonNullType(type)) {
    if (mode !== 'anything') return inner();
    return fc.oneof(
      { weight: 30, arbitrary: inner() },
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: wrongShape },
    );
  }
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 6, arbitrary: inner() },
    ...(mode === 'anything' ? [{ weight: 1, arbitrary: wrongShape }] : []),
  );
}

function nullableInner(
  type: GraphQLInputType,
  site: Site,
  ctx: ArbitraryContext,
  depth: number,
  mode: Mode,
): fc.Arbitrary<unknown> {
  if (isListType(type)) {
    const item = valueArbitrary(type.ofType as GraphQLInputType, site, ctx, depth + 1, mode);
    if (mode === 'plausible') return fc.array(item, { minLength: 1, maxLength: 3 });
    return fc.oneof(
      { weight: 12, arbitrary: fc.array(item, { maxLength: 4 }) },
      // The same item many times: cheap to generate, still one request of thousands of rows.
      {
        weight: 1,
        arbitrary: fc
          .tuple(item, fc.constantFrom(...LONG_LENGTHS))
          .map(([v, n]) => Array.from({ length: Math.min(n, itemsWithin(v, MAX_LIST_BYTES)) }, () => v)),
      },
      ...(mode === 'anything' ? [{ weight: 1, arbitrary: fc.constant(deepList(30)) }] : []),
    );
  }
  if (isEnumType(type)) {
    const values = fc.constantFrom(...type.getValues().map((v) => v.name));
    if (mode !== 'anything') return values;
    const first = type.getValues()[0]!.name;
    return fc.oneof(
      { weight: 12, arbitrary: values },
      { weight: 1, arbitrary: fc.constantFrom<unknown>('', first.toLowerCase(), 'NOT_A_VALUE', 0) },
    );
  }
  if (isScalarType(type)) return scalarArbitrary(type.name, site, ctx, mode);
  if (isInputObjectType(type)) {
    // Input objects can nest; past a few levels only null or omission (a recursive input type must end).
    if (depth > 4) return fc.constant(null);
    const fields = Object.values(type.getFields());
    const record = fc.record(
      Object.fromEntries(
        fields.map((f) => [f.name, valueArbitrary(f.type, { owner: type.name, name: f.name }, ctx, depth + 1, mode)]),
      ),
    ) as fc.Arbitrary<Record<string, unknown>>;
    if (mode !== 'anything') return record;
    return fc.oneof(
      { weight: 15, arbitrary: record },
      // A field the type does not have.
      { weight: 1, arbitrary: record.map((r) => ({ ...r, notAField: 1 })) },
    );
  }
  return wrongShape;
}

/**
 * Arguments of a field as GraphQL variables (`undefined` values are left out when sent as JSON):
 * plausible, typed and anything inputs in the ratio 2:2:1.
 */
export function argumentsArbitrary(
  field: GraphQLField<unknown, unknown>,
  ctx: ArbitraryContext,
): fc.Arbitrary<Record<string, unknown>> {
  const build = (mode: Mode) =>
    fc.record(
      Object.fromEntries(
        field.args.map((a) => [a.name, valueArbitrary(a.type, { owner: field.name, name: a.name }, ctx, 0, mode)]),
      ),
    ) as fc.Arbitrary<Record<string, unknown>>;
  return fc.oneof(
    { weight: 2, arbitrary: build('plausible') },
    { weight: 2, arbitrary: build('typed') },
    { weight: 1, arbitrary: build('anything') },
  );
}

// ---------------------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------------------

/**
 * A selection for a result: every scalar of the payload, and every scalar of the objects it holds
 * (with `__typename` and `id`, so that created objects can join the id pool). Fields that need
 * arguments are left out.
 */
export function selectionFor(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named) && !isInterfaceType(named)) return '{ __typename }';
  const parts = ['__typename'];
  for (const field of Object.values(named.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const inner = getNamedType(field.type);
    if (isLeafType(inner)) parts.push(field.name);
    else if (depth < 1 && (isObjectType(inner) || isInterfaceType(inner)) && !/Connection$/.test(inner.name))
      parts.push(`${field.name} ${selectionFor(field.type, depth + 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

const typeText = (type: GraphQLInputType): string => String(type);

/** `mutation($input: CreateMeterInput!) { createMeter(input: $input) { ... } }` */
export function operationFor(field: GraphQLField<unknown, unknown>, kind: 'mutation' | 'query' = 'mutation'): string {
  const vars = field.args.map((a) => `$${a.name}: ${typeText(a.type)}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  return `${kind}${vars ? `(${vars})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selectionFor(field.type)} }`;
}

/** Collects `{ __typename, id }` pairs anywhere in a response's data into the pool. */
export function harvestIds(data: unknown, pool: IdPool, skip: Set<string>): void {
  if (Array.isArray(data)) {
    for (const item of data) harvestIds(item, pool, skip);
    return;
  }
  if (!data || typeof data !== 'object') return;
  const obj = data as Record<string, unknown>;
  if (typeof obj.__typename === 'string' && typeof obj.id === 'string' && !skip.has(obj.id)) {
    const list = pool.get(obj.__typename) ?? [];
    if (!list.includes(obj.id)) list.push(obj.id);
    pool.set(obj.__typename, list);
  }
  for (const value of Object.values(obj)) harvestIds(value, pool, skip);
}
