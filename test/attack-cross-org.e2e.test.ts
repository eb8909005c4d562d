import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  getOperationAST,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmRaiser } from '../src/collectors/alarms/alarm-raiser.js';
import type { SqlExecutor } from '../src/collectors/ingestion/readings.js';
import { AlarmType } from '../src/orm/entities/enums.js';
import { MAX_COST, staticCost } from '../src/server/query-limits.js';
import { fromGlobalId, toGlobalId } from '../src/shared/global-id.js';
import { createLogger } from '../src/shared/logger.js';
import {
  DEMO_CUSTOMER_ACCOUNT,
  startTestServer,
  type GqlResult,
  type Subscription,
  type TestServer,
} from './harness.js';
import { JPEG, uploadPhoto } from './support/field-fixtures.js';

/**
 * Cross-organisation reads, through every root query field and every subscription of the live
 * schema (read by introspection, so that a field added later is attacked without touching this
 * file). The demo has two supply stations: ST-YJ (manager1, reader1, inspector1, customer1) and
 * ST-TY (manager2). Every object of the archive is collected with its global ID, its station and
 * its distinctive values (barcodes, asset and account numbers, codes, addresses, names), from the
 * database so that every reading and alarm counts, not only what a page shows; then
 * operations built from the schema, with ST-YJ IDs and values in their arguments, run as manager2,
 * as customer1 and as an API key limited to an ST-TY channel. No response (data or error) may
 * name what the caller may not read, no error may be INTERNAL, and for manager2 and customer1 an
 * ST-YJ argument is answered exactly like one that names nothing. Admins running the same
 * operations do see ST-YJ data, so the probes can find what they look for.
 */
let server: TestServer;
let schema: GraphQLSchema;
let sql: SqlExecutor;
let raiser: AlarmRaiser;
const tokens: Record<string, string> = {};
const DAY_MS = 86_400_000;

/** Root query fields that carry no station's data at all (admins see no ST-YJ row in them either). */
const NO_STATION_DATA: Record<string, string> = {
  me: "the caller's own user (the admin's is at the root)",
  collectorPlugins: 'the loaded plugins, the same for every station',
  rolePermissions: 'the rules of each role, the same for every station',
  verifyAuditLog: 'counts and hashes of the whole chain',
  billingStatistics:
    'counts and sums per month, no row of any station to name (its scoping: test/reports.e2e.test.ts, manager2 gets zeros for ST-YJ)',
  tariffs: 'company-wide prices, the same for every station',
  workOrderKindSettings: 'the two-person rule of each kind of work order, company-wide',
  todayStops:
    "the caller's own assigned stops: the admin is assigned none (routing and scoping: test/field.e2e.test.ts)",
  fieldStatistics: "counts of the caller's own field work, no row of any station (test/field.e2e.test.ts)",
};

/**
 * Root query fields not attacked generically, with the reason and the test that covers them by
 * hand. Empty: every field is built from the schema. A field that cannot be, goes here.
 */
const BY_HAND: Record<string, string> = {
  tariff: 'a company-wide tariff by ID, readable by every role but the collector service: test/tariffs.e2e.test.ts',
};

/**
 * Node types of no station: company-wide rows every role (but the collector service) reads, so an
 * ID of one is no secret of ST-YJ. Left out of the per-station collection and of `node` probes.
 */
const COMPANY_WIDE: Record<string, string> = {
  Tariff: 'published prices; reads, writes and roles in test/tariffs.e2e.test.ts',
};

/** String arguments (as `Type.argument`, the type being what the field lists) and what they look up. */
const VALUE_KEYS: Record<string, string> = {
  'Meter.barcode': 'Meter.barcode',
  'Meter.search': 'Meter.barcode',
  'MeterBox.barcode': 'MeterBox.barcode',
  'MeterBox.search': 'MeterBox.barcode',
  'Customer.accountNo': 'Customer.accountNo',
  'Customer.search': 'Customer.accountNo',
  'Customer.phone': 'Customer.phone',
  'Customer.idNumber': 'Customer.idNumber',
  'OrgUnit.search': 'OrgUnit.code',
  'User.search': 'User.username',
  'AuditRecord.actor': 'User.username',
  // A scanned code: a meter's barcode (a box's and an asset number go the same way).
  'BarcodeScan.code': 'Meter.barcode',
};

/** String arguments that name no station's data, left out of the probes, with the reason. */
const NEUTRAL_STRINGS: Record<string, string> = {
  'AuditRecord.actions': 'names of mutations and security events',
  'AuditRecord.outcome': 'ok or an error class',
  'SettlementRun.period': 'a month, the same for every station',
  'Bill.period': 'a month, the same for every station',
  'SettlementReport.period': 'a month, the same for every station',
  'BillingPeriodStatistics.from': 'a month, the same for every station',
  'BillingPeriodStatistics.to': 'a month, the same for every station',
  'Tariff.code': 'a tariff code, the same for every station',
};

/** Values of required neutral strings: months around the settled one (last month). */
const monthsAgo = (n: number) => new Date(Date.now() - n * 31 * DAY_MS).toISOString().slice(0, 7);
const NEUTRAL_VALUES: Record<string, () => string> = {
  'SettlementReport.period': () => monthsAgo(1),
  'BillingPeriodStatistics.from': () => monthsAgo(3),
  'BillingPeriodStatistics.to': () => monthsAgo(0),
};

/** ID arguments whose name does not say the type they reference. */
const ID_ALIASES: Record<string, string> = {
  parent: 'OrgUnit',
  subtreeOf: 'OrgUnit',
  sourceUnit: 'OrgUnit',
  schedule: 'CollectionSchedule',
  run: 'SettlementRun',
  assignee: 'User',
  reportedBy: 'User',
};

// ---------------------------------------------------------------------------------------------
// What exists: every row with a global ID, its station and its distinctive values.

type Station = 'YJ' | 'TY' | 'none';
interface Row {
  type: string;
  local: number;
  gid: string;
  station: Station;
  values: Record<string, string>;
}

/** One statement per node type: id, the path of the unit the row belongs to, and its values. */
const ROW_QUERIES: Record<string, string> = {
  OrgUnit: `select u.id, u.path, u.code, u.name from org_unit u`,
  MeterBox: `select b.id, o.path, b.barcode, b.address from meter_box b join org_unit o on o.id = b.org_unit_id`,
  Meter: `select m.id, o.path, m.barcode, m.asset_no as "assetNo", m.comm_address as "commAddress"
            from meter m join org_unit o on o.id = m.org_unit_id`,
  Customer: `select c.id, o.path, c.account_no as "accountNo", c.address from customer c join org_unit o on o.id = c.org_unit_id`,
  ServicePoint: `select s.id, o.path, s.code from service_point s
                   join customer c on c.id = s.customer_id join org_unit o on o.id = c.org_unit_id`,
  Reading: `select r.id, o.path from reading r join meter m on m.id = r.meter_id join org_unit o on o.id = m.org_unit_id`,
  Alarm: `select a.id, o.path, a.message from alarm a join org_unit o on o.id = a.org_unit_id`,
  Channel: `select c.id, o.path, c.name from channel c join org_unit o on o.id = c.org_unit_id`,
  CollectionSchedule: `select s.id, o.path, s.name from collection_schedule s join org_unit o on o.id = s.org_unit_id`,
  CollectionTask: `select t.id, o.path from collection_task t join org_unit o on o.id = t.org_unit_id`,
  User: `select u.id, o.path, u.username from app_user u join org_unit o on o.id = u.org_unit_id`,
  SharingGrant: `select g.id, o.path, g.purpose from sharing_grant g join org_unit o on o.id = g.source_unit_id`,
  SettlementRun: `select r.id, o.path from settlement_run r join org_unit o on o.id = r.org_unit_id`,
  Bill: `select b.id, o.path from bill b join customer c on c.id = b.customer_id join org_unit o on o.id = c.org_unit_id`,
  VeeRuleSet: `select v.id, o.path, v.name from vee_rule_set v join org_unit o on o.id = v.org_unit_id`,
  Payment: `select p.id, o.path, p.reference from payment p join customer c on c.id = p.customer_id join org_unit o on o.id = c.org_unit_id`,
  PrepaymentEvent: `select e.id, o.path from prepayment_event e join customer c on c.id = e.customer_id join org_unit o on o.id = c.org_unit_id`,
  WorkOrder: `select w.id, o.path, w.title from work_order w join org_unit o on o.id = w.org_unit_id`,
  WorkOrderStop: `select s.id, o.path, s.note from work_order_stop s
                    join work_order w on w.id = s.work_order_id join org_unit o on o.id = w.org_unit_id`,
  TrainingRecord: `select t.id, o.path, t.course from training_record t join app_user u on u.id = t.user_id join org_unit o on o.id = u.org_unit_id`,
  ReadingRoute: `select r.id, o.path, r.name from reading_route r join org_unit o on o.id = r.org_unit_id`,
  HazardReport: `select h.id, o.path, h.description from hazard_report h join org_unit o on o.id = h.org_unit_id`,
  FieldPhoto: `select p.id, o.path, p.sha256 from field_photo p join org_unit o on o.id = p.org_unit_id`,
};

let rows: Row[] = [];
let paths: { YJ: string; TY: string };

async function collectRows(): Promise<Row[]> {
  const all: Row[] = [];
  for (const [type, text] of Object.entries(ROW_QUERIES)) {
    for (const r of await sql.execute<Record<string, unknown>>(text, [])) {
      const { id, path, ...rest } = r;
      const p = String(path);
      const values = Object.fromEntries(
        Object.entries(rest)
          .filter(([, v]) => v !== null && v !== undefined)
          .map(([k, v]) => [k, String(v)]),
      );
      all.push({
        type,
        local: Number(id),
        gid: toGlobalId(type, String(id)),
        station: p.startsWith(paths.YJ) ? 'YJ' : p.startsWith(paths.TY) ? 'TY' : 'none',
        values,
      });
    }
  }
  return all;
}

const rowOf = (type: string, local: number) => rows.find((r) => r.type === type && r.local === local)!;

// ---------------------------------------------------------------------------------------------
// Who attacks, and what each may not see.

interface Principal {
  name: string;
  token: () => string;
  /** Rows the principal may not read. */
  forbids: (row: Row) => boolean;
  /** Whether an ST-YJ argument must be answered exactly like one that names nothing. */
  ghost: boolean;
  /** ST-YJ objects to name instead of the usual ones, by type. */
  prefer?: Partial<Record<string, () => string>>;
}

/** The ST-YJ objects the probes name, and ST-TY's counterparts. */
const the = {} as {
  yjStation: number;
  tyStation: number;
  yjArea: number;
  tyArea: number;
  yjMeter: number;
  yjMeter2: number;
  tyMeter: number;
  yjCustomer: number;
  tyCustomer: number;
  yjBox: number;
  tyBox: number;
  tyServicePoint: number;
  yjChannel: string;
  tyChannel: string;
  yjSchedule: string;
  yjGrant: string;
  yjVeeRuleSet: string;
  yjRoute: string;
  yjStop: string;
  tyReader: string;
  yjAlarm: number;
  yjReading: number;
  yjTask: number;
  crossTask: number;
  crossSchedule: number;
  customer1: { customer: number; meters: number[]; servicePoints: number[]; user: number };
  keyMeters: number[];
  yjPersonal: { phone: string; idNumber: string };
  yjWorkOrder: number;
  tyWorkOrder: number;
};

const PRINCIPALS: Principal[] = [
  {
    name: 'manager2 (ST-TY)',
    token: () => tokens.manager2!,
    forbids: (row) => row.station === 'YJ',
    ghost: true,
  },
  {
    name: 'customer1 (own account only)',
    token: () => tokens.customer1!,
    forbids: (row) => {
      if (row.station === 'none') return false;
      const own = the.customer1;
      switch (row.type) {
        case 'Customer':
          return row.local !== own.customer;
        case 'ServicePoint':
          return !own.servicePoints.includes(row.local);
        case 'Meter':
          return !own.meters.includes(row.local);
        case 'Reading':
          return !readingMeters.has(row.local) || !own.meters.includes(readingMeters.get(row.local)!);
        case 'User':
          return row.local !== own.user;
        case 'Payment':
        case 'PrepaymentEvent':
          return accountRows.get(row.gid) !== own.customer;
        default:
          return true;
      }
    },
    ghost: true,
    // customer1's account is under the ST-YJ station: a filter on that subtree rightly finds it.
    // An ST-YJ area that holds nothing of theirs is named instead.
    prefer: { OrgUnit: () => toGlobalId('OrgUnit', the.yjArea) },
  },
  {
    // Its service account reads org units and meter boxes everywhere (ALL scope), meters and
    // their readings and alarms only on its channels.
    name: 'API key limited to an ST-TY channel',
    token: () => tokens.tyKey!,
    forbids: (row) => {
      if (row.station === 'none' || row.type === 'OrgUnit' || row.type === 'MeterBox') return false;
      if (row.type === 'Meter') return !the.keyMeters.includes(row.local);
      if (row.type === 'Reading') return !the.keyMeters.includes(readingMeters.get(row.local) ?? 0);
      if (row.type === 'Alarm') return !the.keyMeters.includes(alarmMeters.get(row.local) ?? 0);
      if (row.type === 'Channel') return row.gid !== the.tyChannel;
      return true;
    },
    ghost: false,
  },
];
let readingMeters = new Map<number, number>();
/** Payments' and prepayment events' customers, by global ID. */
let accountRows = new Map<string, number>();
let alarmMeters = new Map<number, number>();

// ---------------------------------------------------------------------------------------------
// Leak detection.

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const boundedIn = (text: string, value: string) =>
  new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(value)}(?![A-Za-z0-9])`).test(text);

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => strings(v, out));
  return out;
}

interface Detector {
  /** Forbidden IDs and values found; `echoes` (what the request itself sent) may come back in errors. */
  leaks(result: { data?: unknown; errors?: unknown }, echoes?: string[]): string[];
}

function detectorFor(principal: Principal): Detector {
  const forbidden = rows.filter(principal.forbids);
  const forbiddenIds = new Set(forbidden.map((r) => r.gid));
  const allowedValues = new Set(rows.filter((r) => !principal.forbids(r)).flatMap((r) => Object.values(r.values)));
  const values = [
    ...new Set([...forbidden.flatMap((r) => Object.values(r.values)), ...forbiddenPersonal(principal)]),
  ].filter((v) => v.length >= 6 && !allowedValues.has(v));
  const allowedLongest = [...allowedValues].filter((v) => v.length >= 6).sort((a, b) => b.length - a.length);
  const check = (text: string, echoes: Set<string>, found: string[]) => {
    for (const token of text.match(/[A-Za-z0-9_-]{8,}/g) ?? [])
      if (forbiddenIds.has(token) && !echoes.has(token)) found.push(token);
    const candidates = values.filter((v) => text.includes(v) && !echoes.has(v));
    if (!candidates.length) return;
    // A value the caller may read can contain a forbidden one (a customer's address starts with
    // the address of its meter box): only what is left once allowed values are cut out counts.
    let rest = text;
    for (const allowed of allowedLongest) if (rest.includes(allowed)) rest = rest.split(allowed).join('\u0000');
    for (const v of candidates) if (boundedIn(rest, v)) found.push(v);
  };
  return {
    leaks(result, echoes = []) {
      const found: string[] = [];
      for (const text of strings(result.data)) check(text, new Set(), found);
      for (const text of strings(result.errors)) check(text, new Set(echoes), found);
      return [...new Set(found)];
    },
  };
}

/** Personal data of the ST-YJ customer the probes name (sealed in the table, read as admin). */
function forbiddenPersonal(principal: Principal): string[] {
  return principal.forbids(rowOf('Customer', the.yjCustomer)) ? Object.values(the.yjPersonal) : [];
}

// ---------------------------------------------------------------------------------------------
// Operations built from the schema.

const isRequired = (a: GraphQLArgument | GraphQLInputField) => isNonNullType(a.type) && a.defaultValue === undefined;
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const nodeTypes = () => schema.getPossibleTypes(schema.getType('Node') as never).map((t) => t.name);
const stationNodeTypes = () => nodeTypes().filter((type) => !COMPANY_WIDE[type]);

/** The type an ID argument references: `id` the field's own, otherwise named by the argument. */
function idTypeFor(name: string, context: string): string {
  if (name === 'id') return context;
  const base = name.replace(/(Ids|Id|Subtree)$/, '');
  const type = ID_ALIASES[base] ?? capitalize(base);
  if (!nodeTypes().includes(type)) throw new Error(`no type known for the ID argument ${context}.${name}`);
  return type;
}

/** The type a root field is about: a connection's or a list's element, else its own type. */
function subjectOf(field: GraphQLField<unknown, unknown>): string {
  return getNamedType(field.type).name.replace(/Connection$/, '');
}

/** Picks the arguments' values: ST-YJ objects for an attack, objects that do not exist for its ghost. */
interface Picker {
  id(type: string): string;
  value(key: string): string;
}

const PREFERRED: Record<string, () => string> = {
  OrgUnit: () => toGlobalId('OrgUnit', the.yjStation),
  Meter: () => toGlobalId('Meter', the.yjMeter),
  MeterBox: () => toGlobalId('MeterBox', the.yjBox),
  Customer: () => toGlobalId('Customer', the.yjCustomer),
  Channel: () => the.yjChannel,
  CollectionSchedule: () => the.yjSchedule,
  CollectionTask: () => toGlobalId('CollectionTask', the.yjTask),
  Alarm: () => toGlobalId('Alarm', the.yjAlarm),
  Reading: () => toGlobalId('Reading', the.yjReading),
  SharingGrant: () => the.yjGrant,
  User: () => rows.find((r) => r.type === 'User' && r.values.username === 'manager1')!.gid,
  ServicePoint: () =>
    rows.find(
      (r) => r.type === 'ServicePoint' && r.values.code === `SP${rowOf('Customer', the.yjCustomer).values.accountNo}`,
    )!.gid,
};

/** ST-YJ objects, the preferred ones of each type unless the principal prefers others. */
const attackFor = (prefer: Principal['prefer'] = {}): Picker => ({
  id(type) {
    const chosen =
      prefer[type]?.() ?? PREFERRED[type]?.() ?? rows.find((r) => r.type === type && r.station === 'YJ')?.gid;
    if (!chosen) throw new Error(`no ST-YJ ${type} to name`);
    return chosen;
  },
  value(key) {
    const [type, field] = key.split('.') as [string, string];
    if (type === 'Customer' && (field === 'phone' || field === 'idNumber')) return the.yjPersonal[field];
    const row = rows.find((r) => r.gid === this.id(type))!;
    const value = row.values[field];
    if (!value) throw new Error(`no ${key} of the ST-YJ ${type} ${row.gid}`);
    return value;
  },
});
const attack = attackFor();

/** The same shapes, naming nothing: what an ST-YJ argument must be indistinguishable from. */
const ghost: Picker = {
  id: (type) => toGlobalId(type, 2_000_000_000),
  value(key) {
    const real = attack.value(key);
    if (key === 'Customer.idNumber') return validIdNumber('45999999999999999');
    // Keep the first characters (a phone starts with 1, a barcode with its maker's prefix).
    return (
      real.slice(0, 2) +
      real
        .slice(2)
        .replace(/[0-9]/g, '9')
        .replace(/[A-Za-z]/g, 'z')
    );
  },
};

/** GB 11643 check character, so that the ghost ID number passes validation like a real one. */
function validIdNumber(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i]!, 0);
  return first17 + '10X98765432'[sum % 11]!;
}

/** A value for an argument or input field. `context` is the type the field is about. */
function fill(type: GraphQLInputType, name: string, context: string, pick: Picker): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [fill(inner.ofType, name, context, pick)];
  if (isInputObjectType(inner))
    return Object.fromEntries(
      Object.values(inner.getFields())
        .filter(isRequired)
        .map((f) => [f.name, fill(f.type, f.name, context, pick)]),
    );
  if (isEnumType(inner)) return inner.getValues()[0]!.value;
  if (isScalarType(inner)) {
    switch (inner.name) {
      case 'ID':
        return pick.id(idTypeFor(name, context));
      case 'String': {
        const neutral = NEUTRAL_VALUES[`${context}.${name}`];
        if (neutral) return neutral();
        const key = VALUE_KEYS[`${context}.${name}`];
        if (!key) throw new Error(`no value known for the string argument ${context}.${name}`);
        return pick.value(key);
      }
      case 'DateTime':
        // A valid window of 30 days (readings demand one of at most 92).
        if (name === 'from') return new Date(Date.now() - 30 * DAY_MS).toISOString();
        if (name === 'to') return new Date(Date.now() + 60_000).toISOString();
        break;
      case 'LocalDate':
        // Ranges of local dates (consumption, settlements) end today and start 30 days before.
        if (name === 'from') return new Date(Date.now() - 30 * DAY_MS).toISOString().slice(0, 10);
        return new Date().toISOString().slice(0, 10);
      case 'Int':
        if (name === 'first') return 5;
        break;
      case 'Boolean':
        return false;
      case 'Decimal':
        // A position (where a field worker stands): the demo's area, the same for every station.
        if (name === 'latitude') return '23.9';
        if (name === 'longitude') return '106.6';
        break;
    }
  }
  throw new Error(`no value known for ${context}.${name}: ${String(type)}`);
}

/** Whether an optional argument or input field can name station data (an ID or a string). */
function names(context: string, f: GraphQLArgument | GraphQLInputField): boolean {
  const named = getNamedType(f.type);
  if (named.name === 'ID') return true;
  if (named.name !== 'String') return false;
  if (f.name === 'after') return false; // a cursor, not a reference: see `variantsOf`
  if (NEUTRAL_STRINGS[`${context}.${f.name}`]) return false;
  if (!VALUE_KEYS[`${context}.${f.name}`])
    throw new Error(`no value known for the string argument ${context}.${f.name}: teach VALUE_KEYS or NEUTRAL_STRINGS`);
  return true;
}

/** An admin's end cursor of the first row of each root list, taken before the attacks. */
const cursors = new Map<string, string>();
function cursorOf(field: string): string {
  const cursor = cursors.get(field);
  if (!cursor) throw new Error(`no cursor of ${field}`);
  return cursor;
}

interface Variant {
  label: string;
  /** The field's arguments. */
  args: (pick: Picker) => Record<string, unknown>;
}

/**
 * One variant with the required arguments (and a small page), and one more per optional argument
 * or filter field that can name station data, filled with it.
 */
function variantsOf(field: GraphQLField<unknown, unknown>, context = subjectOf(field)): Variant[] {
  const base = (pick: Picker) =>
    Object.fromEntries(
      field.args
        .filter((a) => isRequired(a) || a.name === 'first')
        .map((a) => [a.name, fill(a.type, a.name, context, pick)]),
    );
  const variants: Variant[] = [{ label: 'required arguments', args: base }];
  for (const arg of field.args) {
    const named = getNamedType(arg.type);
    // Filters: one variant per field that can name station data (a required filter keeps its required fields).
    if (isInputObjectType(named)) {
      for (const f of Object.values(named.getFields()).filter((f) => !isRequired(f) && names(context, f)))
        variants.push({
          label: `${arg.name}.${f.name}`,
          args: (pick) => ({
            ...base(pick),
            [arg.name]: {
              ...(fill(arg.type, arg.name, context, pick) as object),
              [f.name]: fill(f.type, f.name, context, pick),
            },
          }),
        });
    } else if (arg.name === 'after') {
      // A position taken from an admin's page: the rows after it are still only the caller's.
      variants.push({
        label: "after an admin's cursor",
        args: (pick) => ({ ...base(pick), after: cursorOf(field.name) }),
      });
    } else if (!isRequired(arg) && names(context, arg)) {
      variants.push({
        label: arg.name,
        args: (pick) => ({ ...base(pick), [arg.name]: fill(arg.type, arg.name, context, pick) }),
      });
    }
  }
  return variants;
}

const isConnection = (type: GraphQLNamedType) =>
  (isObjectType(type) || isInterfaceType(type)) && type.name.endsWith('Connection') && 'nodes' in type.getFields();

/**
 * A selection of `type`: every value field and ID, and `depth` levels of relations (a connection
 * counting as one, with a small page); interfaces with a fragment per type.
 */
function selectionOf(type: GraphQLNamedType, depth: number): string {
  if (isLeafType(type)) return '';
  if (isConnection(type) && (isObjectType(type) || isInterfaceType(type))) {
    const node = getNamedType(type.getFields().nodes!.type);
    return `totalCount pageInfo { hasNextPage endCursor } nodes { ${selectionOf(node, depth)} }`;
  }
  if (!isObjectType(type) && !isInterfaceType(type)) throw new Error(`no selection for ${type.name}`);
  const parts: string[] = [];
  if (isInterfaceType(type)) {
    parts.push('__typename');
    for (const t of schema.getPossibleTypes(type)) parts.push(`... on ${t.name} { ${selectionOf(t, 0)} }`);
  }
  for (const f of Object.values(type.getFields())) {
    if (f.args.some(isRequired)) throw new Error(`${type.name}.${f.name} needs arguments: teach selectionOf`);
    const named = getNamedType(f.type);
    const page = f.args.some((a) => a.name === 'first') ? '(first: 2)' : '';
    if (isLeafType(named)) parts.push(`${f.name}${page}`);
    else if (depth > 0) parts.push(`${f.name}${page} { ${selectionOf(named, depth - 1)} }`);
  }
  return parts.length ? parts.join(' ') : '__typename';
}

interface Probe {
  field: string;
  label: string;
  query: string;
  /** Variables for the attack, and for its ghost. */
  variables: Record<string, unknown>;
  ghostVariables: Record<string, unknown>;
}

/** Builds the operation for one field and variant, as deep as the cost limit allows (at most `depth`). */
function probe(
  operation: 'query' | 'subscription',
  field: GraphQLField<unknown, unknown>,
  variant: Variant,
  depth: number,
  only?: string,
  pick: Picker = attack,
): Probe {
  const variables = variant.args(pick);
  const declared = field.args.filter((a) => a.name in variables);
  const head = declared.length ? `(${declared.map((a) => `$${a.name}: ${String(a.type)}`).join(', ')})` : '';
  const call = declared.length ? `(${declared.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  const type = getNamedType(field.type);
  for (let d = depth; d >= 0; d--) {
    const selection = only
      ? `__typename id ... on ${only} { ${selectionOf(schema.getType(only)!, d)} }`
      : selectionOf(type, d);
    const query = `${operation} Probe${head} { ${field.name}${call}${selection ? ` { ${selection} }` : ''} }`;
    const document = parse(query);
    if (staticCost(schema, document, getOperationAST(document)!, variables) <= MAX_COST)
      return { field: field.name, label: variant.label, query, variables, ghostVariables: variant.args(ghost) };
  }
  throw new Error(`${field.name}: no selection within the cost limit`);
}

/** Every probe of a root field: `node` once per node type, with a fragment on it. */
function probesOf(
  operation: 'query' | 'subscription',
  field: GraphQLField<unknown, unknown>,
  pick: Picker = attack,
  depth = 2,
): Probe[] {
  if (isInterfaceType(getNamedType(field.type)) && field.args.some((a) => a.name === 'id'))
    return stationNodeTypes().flatMap((type) =>
      variantsOf(field, type).map((v) =>
        probe(operation, field, { ...v, label: `${type} ${v.label}` }, depth, type, pick),
      ),
    );
  return variantsOf(field).map((v) => probe(operation, field, v, depth, undefined, pick));
}

const queryFields = () => Object.values(schema.getQueryType()!.getFields());
const subscriptionFields = () => Object.values(schema.getSubscriptionType()?.getFields() ?? {});

// ---------------------------------------------------------------------------------------------
// Running probes.

interface Outcome {
  probe: Probe;
  result: GqlResult<unknown>;
}

async function run(probes: Probe[], token: string, variables: 'attack' | 'ghost' = 'attack'): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const p of probes)
    out.push({
      probe: p,
      result: await server.gql(p.query, variables === 'attack' ? p.variables : p.ghostVariables, token),
    });
  return out;
}

/** Problems in the outcomes: INTERNAL errors, status 500, and what the principal may not see. */
function problems(outcomes: Outcome[], detector: Detector): string[] {
  return outcomes.flatMap(({ probe: p, result }) => {
    const where = `${p.field} [${p.label}]`;
    const found: string[] = [];
    if (result.status >= 500) found.push(`${where}: HTTP ${result.status}`);
    for (const e of result.errors ?? [])
      if (e.extensions?.code === 'INTERNAL' || !e.extensions?.code)
        found.push(`${where}: ${e.extensions?.code} ${e.message}`);
    const leaks = detector.leaks(result, strings(p.variables));
    if (leaks.length) found.push(`${where}: leaks ${leaks.slice(0, 5).join(', ')}${leaks.length > 5 ? ' ...' : ''}`);
    return found;
  });
}

/** A response with the arguments replaced by their position, for comparing an attack with its ghost. */
function normalised(result: GqlResult<unknown>, sent: unknown): string {
  let text = JSON.stringify(result);
  strings(sent)
    .map((value, i) => ({ value, label: `<arg${i}>` }))
    .filter(({ value }) => value.length >= 4)
    .sort((a, b) => b.value.length - a.value.length)
    .forEach(({ value, label }) => (text = text.split(JSON.stringify(value).slice(1, -1)).join(label)));
  return text;
}

const gqlOk = async <T>(query: string, variables: Record<string, unknown>, token: string) => {
  const res = await server.gql<T>(query, variables, token);
  if (res.errors) throw new Error(`${query}: ${JSON.stringify(res.errors)}`);
  return res.data!;
};
const one = async <T>(text: string, params: unknown[] = []) => (await sql.execute<T>(text, params))[0]!;
const localOf = (gid: string) => Number(Buffer.from(gid, 'base64url').toString('utf8').split(':')[1]);

// ---------------------------------------------------------------------------------------------
// The archive: the demo, plus collection, alarms, grants and policies on both stations, and rows
// of one station tied to the other's (which only an admin or a migration can make).

beforeAll(async () => {
  server = await startTestServer({ demo: true });
  sql = { execute: (text, params) => server.em().getConnection().execute(text, params) };
  raiser = new AlarmRaiser(sql, server.app.events, createLogger('silent'));
  for (const user of ['admin', 'manager1', 'manager2', 'customer1']) tokens[user] = await server.login(user);
  const introspection = await server.gql<IntrospectionQuery>(getIntrospectionQuery(), {}, tokens.admin);
  schema = buildClientSchema(introspection.data!);

  const unit = (code: string) =>
    one<{ id: number; path: string }>(`select id, path from org_unit where code = ?`, [code]);
  const [yj, ty, yjArea, tyArea] = await Promise.all(['ST-YJ', 'ST-TY', 'TA-YJ-02', 'TA-TY-01'].map(unit));
  paths = { YJ: yj!.path, TY: ty!.path };
  Object.assign(the, {
    yjStation: Number(yj!.id),
    tyStation: Number(ty!.id),
    yjArea: Number(yjArea!.id),
    tyArea: Number(tyArea!.id),
  });
  const metersIn = async (area: number) =>
    (
      await sql.execute<{ id: number; meter_box_id: number }>(
        `select id, meter_box_id from meter where org_unit_id = ? and protocol = 'SIMULATED' order by id limit 2`,
        [area],
      )
    ).map((m) => ({ id: Number(m.id), box: Number(m.meter_box_id) }));
  const [[yjMeter, yjMeter2], [tyMeter]] = await Promise.all([metersIn(the.yjArea), metersIn(the.tyArea)]);
  Object.assign(the, {
    yjMeter: yjMeter!.id,
    yjMeter2: yjMeter2!.id,
    yjBox: yjMeter!.box,
    tyMeter: tyMeter!.id,
    tyBox: tyMeter!.box,
  });
  the.yjCustomer = Number(
    (
      await one<{ customer_id: number }>(
        `select s.customer_id from meter_assignment a join service_point s on s.id = a.service_point_id where a.meter_id = ?`,
        [the.yjMeter],
      )
    ).customer_id,
  );
  const personal = await gqlOk<{ customer: { phone: string; idNumber: string } }>(
    `query($id: ID!) { customer(id: $id) { phone idNumber } }`,
    { id: toGlobalId('Customer', the.yjCustomer) },
    tokens.admin,
  );
  the.yjPersonal = personal.customer;

  // Collection on both stations: a channel with a meter on it, a schedule (disabled, so that no
  // cycle runs it while the test does), an on-demand read that fails and books a task.
  const channelOf = async (token: string, area: number, meter: number, name: string) => {
    const created = await gqlOk<{ createChannel: { channel: { id: string } } }>(
      `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`,
      {
        i: {
          name,
          pluginId: 'dlt645-2007-tcp',
          settings: { host: '127.0.0.1', port: 1, responseTimeoutMs: 300 },
          orgUnitId: toGlobalId('OrgUnit', area),
        },
      },
      token,
    );
    const channelId = created.createChannel.channel.id;
    await gqlOk(
      `mutation($i: SetMeterCollectionInput!) { setMeterCollection(input: $i) { collection { status } } }`,
      {
        i: {
          meterId: toGlobalId('Meter', meter),
          channelId,
          settings: { address: '000000000001' },
          points: [{ register: 'FORWARD_ACTIVE_TOTAL', settings: { di: '00010000' } }],
        },
      },
      token,
    );
    const schedule = await gqlOk<{ createCollectionSchedule: { schedule: { id: string } } }>(
      `mutation($i: CreateCollectionScheduleInput!) { createCollectionSchedule(input: $i) { schedule { id } } }`,
      {
        i: {
          name: `${name} nightly`,
          kind: 'DAILY_FROZEN',
          orgUnitId: toGlobalId('OrgUnit', area),
          channelId,
          enabled: false,
        },
      },
      token,
    );
    // Fails (nothing listens on port 1): booked as an on-demand task with the meter to re-collect.
    await server.gql(
      `mutation($m: ID!) { readMeterNow(input: { meterId: $m }) { values { quality } } }`,
      { m: toGlobalId('Meter', meter) },
      token,
    );
    return { channelId, scheduleId: schedule.createCollectionSchedule.schedule.id };
  };
  const yjCollection = await channelOf(tokens.manager1!, the.yjArea, the.yjMeter, 'Youjiang riverside gateway');
  const tyCollection = await channelOf(tokens.manager2!, the.tyArea, the.tyMeter, 'Tianyang town gateway');
  Object.assign(the, {
    yjChannel: yjCollection.channelId,
    yjSchedule: yjCollection.scheduleId,
    tyChannel: tyCollection.channelId,
  });
  the.yjTask = Number(
    (
      await one<{ id: number }>(`select id from collection_task where org_unit_id = ? order by id limit 1`, [
        the.yjArea,
      ])
    ).id,
  );
  the.keyMeters = [the.tyMeter];

  // Readings and alarms of both stations' meters, and the meters' own event records.
  const reading = async (token: string, meter: number, value: string) => {
    const res = await gqlOk<{ recordManualReading: { reading: { id: string } } }>(
      `mutation($m: ID!, $v: Decimal!, $t: DateTime!) { recordManualReading(input: { meterId: $m, value: $v, measuredAt: $t }) { reading { id } } }`,
      { m: toGlobalId('Meter', meter), v: value, t: new Date(Date.now() - 60_000).toISOString() },
      token,
    );
    return localOf(res.recordManualReading.reading.id);
  };
  the.yjReading = await reading(tokens.manager1!, the.yjMeter, '99990.5');
  await reading(tokens.manager2!, the.tyMeter, '99990.5');
  the.yjAlarm = Number(
    (await raiser.raise({
      meterId: the.yjMeter,
      type: AlarmType.METER_COVER_OPEN,
      message: 'Youjiang riverside cover opened',
      at: new Date(),
    }))!.id,
  );
  await raiser.raise({
    meterId: the.tyMeter,
    type: AlarmType.METER_COVER_OPEN,
    message: 'Tianyang town cover opened',
    at: new Date(),
  });
  for (const meter of [the.yjMeter, the.tyMeter])
    await sql.execute(
      `insert into meter_event (meter_id, type, occurred_at, detail) values (?, 'POWER_OFF', now() - interval '1 hour', ?)`,
      [meter, JSON.stringify({ note: `event of meter ${meter}` })],
    );

  // A grant inside each station, a login policy of an ST-YJ user, an API key limited to the ST-YJ channel.
  const grantInside = async (from: string, to: number, purpose: string) =>
    (
      await gqlOk<{ createSharingGrant: { sharingGrant: { id: string } } }>(
        `mutation($i: CreateSharingGrantInput!) { createSharingGrant(input: $i) { sharingGrant { id } } }`,
        {
          i: {
            sourceUnitId: toGlobalId('OrgUnit', (await unit(from))!.id),
            granteeUnitId: toGlobalId('OrgUnit', to),
            shares: [{ subject: 'Meter' }],
            purpose,
            expiresAt: new Date(Date.now() + 7 * DAY_MS).toISOString(),
          },
        },
        tokens.admin!,
      )
    ).createSharingGrant.sharingGrant.id;
  the.yjGrant = await grantInside('TA-YJ-01', the.yjArea, 'Youjiang riverside joint inspection');
  await grantInside('TA-TY-02', the.tyArea, 'Tianyang town joint inspection');
  const reader1 = await one<{ id: number }>(`select id from app_user where username = 'reader1'`);
  await gqlOk(
    `mutation($u: ID!) { setLoginPolicy(input: { userId: $u, maxFailures: 7 }) { loginPolicy { id } } }`,
    { u: toGlobalId('User', reader1.id) },
    tokens.admin,
  );
  await server.apiKey('collector', [the.yjChannel]);
  tokens.tyKey = await server.apiKey('collector', [the.tyChannel]);

  // A VEE rule set in each station, set by its own manager.
  for (const [code, name, who] of [
    ['TA-YJ-02', 'Youjiang riverside VEE rules', 'manager1'],
    ['TA-TY-01', 'Tianyang town VEE rules', 'manager2'],
  ] as const) {
    const set = await gqlOk<{ setVeeRuleSet: { veeRuleSet: { id: string } } }>(
      `mutation($i: SetVeeRuleSetInput!) { setVeeRuleSet(input: $i) { veeRuleSet { id } } }`,
      {
        i: {
          name,
          orgUnitId: toGlobalId('OrgUnit', (await unit(code))!.id),
          params: { zeroDays: 4 },
          enabledRules: ['SPIKE', 'REGISTER_DECREASE'],
        },
      },
      tokens[who]!,
    );
    if (code === 'TA-YJ-02') the.yjVeeRuleSet = set.setVeeRuleSet.veeRuleSet.id;
  }

  // Rows of ST-TY tied to ST-YJ rows: an ST-YJ meter in an ST-TY box, an ST-TY area whose supply
  // meter is in ST-YJ, an ST-TY service point in an ST-YJ box that once had an ST-YJ meter, an
  // ST-TY task asked for by manager1 with an ST-YJ meter to re-collect and an ST-YJ schedule, an
  // ST-TY schedule on the ST-YJ channel.
  await sql.execute(`update meter set meter_box_id = ? where id = ?`, [the.tyBox, the.yjMeter2]);
  await sql.execute(`update org_unit set supply_meter_id = ? where id = ?`, [the.yjMeter2, the.tyArea]);
  const tyPoint = await one<{ id: number }>(
    `select s.id from service_point s join meter_assignment a on a.service_point_id = s.id where a.meter_id = ?`,
    [the.tyMeter],
  );
  the.tyServicePoint = Number(tyPoint.id);
  await sql.execute(`update service_point set meter_box_id = ? where id = ?`, [the.yjBox, the.tyServicePoint]);
  await sql.execute(
    `insert into meter_assignment (service_point_id, meter_id, installed_at, initial_reading, removed_at, final_reading, reason)
     values (?, ?, now() - interval '900 days', 0, now() - interval '500 days', 10, 'swapped')`,
    [the.tyServicePoint, the.yjMeter2],
  );
  const manager1 = await one<{ id: number }>(`select id from app_user where username = 'manager1'`);
  the.crossTask = Number(
    (
      await one<{ id: number }>(
        `insert into collection_task (schedule_id, kind, slot, org_unit_id, status, meters, gave_up, finished_at, requested_by_id)
         values (?, 'INTERVAL', now(), ?, 'INCOMPLETE', 1, 1, now(), ?) returning id`,
        [localOf(the.yjSchedule), the.tyArea, manager1.id],
      )
    ).id,
  );
  await sql.execute(
    `insert into collection_retry (task_id, meter_id, status, attempts, last_error) values (?, ?, 'GAVE_UP', 1, 'no answer')`,
    [the.crossTask, the.yjMeter2],
  );
  the.crossSchedule = Number(
    (
      await one<{ id: number }>(
        `insert into collection_schedule (name, kind, org_unit_id, channel_id, enabled) values ('Tianyang borrowed line', 'INTERVAL', ?, ?, false) returning id`,
        [the.tyArea, localOf(the.yjChannel)],
      )
    ).id,
  );

  // Settlements on both stations: runs (their failures name the customers: the test demo's three
  // days of readings bound no cycle) and an issued bill each, written as a run would.
  const lastMonth = new Date(Date.now() - 31 * DAY_MS).toISOString().slice(0, 7);
  for (const [user, station] of [
    ['manager1', the.yjStation],
    ['manager2', the.tyStation],
  ] as const)
    await gqlOk(
      `mutation($i: RunSettlementInput!) { runSettlement(input: $i) { run { id } } }`,
      { i: { orgUnitId: toGlobalId('OrgUnit', station), period: lastMonth } },
      tokens[user]!,
    );
  await server.app.settlements.idle();
  const tyCustomer = await one<{ customer_id: number }>(
    `select s.customer_id from meter_assignment a join service_point s on s.id = a.service_point_id where a.meter_id = ?`,
    [the.tyMeter],
  );
  for (const customer of [the.yjCustomer, Number(tyCustomer.customer_id)])
    await sql.execute(
      `insert into bill (customer_id, period, status, cycle_start, cycle_end, tariff_code, total_kwh, total_amount)
       values (?, ?, 'ISSUED', '2026-01-01', '2026-02-01', 'RES', '10', '5.00')`,
      [customer, lastMonth],
    );

  // Payments on both stations, and a prepaid customer in each whose balance (1.50 paid, 5.00
  // billed) is below tripBelow: prepayment trips their meters at once (events in both stations).
  for (const [user, customer, reference] of [
    ['manager1', the.yjCustomer, 'YJ-RIVERSIDE-0001'],
    ['manager2', Number(tyCustomer.customer_id), 'TY-TOWN-0001'],
  ] as const) {
    await gqlOk(
      `mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { payment { id } } }`,
      { i: { customerId: toGlobalId('Customer', customer), amount: '1.50', method: 'COUNTER', reference } },
      tokens[user]!,
    );
    await gqlOk(
      `mutation($i: SetPrepaymentInput!) { setPrepayment(input: $i) { customer { id } } }`,
      { i: { customerId: toGlobalId('Customer', customer), prepaid: true, lowBalanceAlert: '100', tripBelow: '0' } },
      tokens[user]!,
    );
  }
  the.tyCustomer = Number(tyCustomer.customer_id);

  // A work order in each station: ST-YJ's assigned to a pair of its field staff, ST-TY's to nobody yet.
  const userGid = async (name: string) =>
    toGlobalId('User', (await one<{ id: number }>(`select id from app_user where username = ?`, [name])).id);
  const dueAt = new Date(Date.now() + 3 * DAY_MS).toISOString();
  for (const [user, station, meter, people, title] of [
    ['manager1', the.yjStation, the.yjMeter, ['reader1', 'inspector1'], 'Riverside check reading round'],
    ['manager2', the.tyStation, the.tyMeter, [], 'Tianyang town inspection'],
  ] as const) {
    const created = await gqlOk<{ createWorkOrder: { workOrder: { id: string } } }>(
      `mutation($i: CreateWorkOrderInput!) { createWorkOrder(input: $i) { workOrder { id } } }`,
      {
        i: {
          kind: 'PERIODIC_CHECK_READING',
          title,
          orgUnitId: toGlobalId('OrgUnit', station),
          dueAt,
          meterId: toGlobalId('Meter', meter),
          assigneeIds: await Promise.all(people.map(userGid)),
        },
      },
      tokens[user]!,
    );
    if (station === the.yjStation) the.yjWorkOrder = Number(fromGlobalId(created.createWorkOrder.workOrder.id)!.id);
    else the.tyWorkOrder = Number(fromGlobalId(created.createWorkOrder.workOrder.id)!.id);
  }
  // A training record in each station, kept by its own manager.
  for (const [who, trainee, course] of [
    ['manager1', 'reader1', 'Youjiang riverside safety drill'],
    ['manager2', 'manager2', 'Tianyang town safety drill'],
  ] as const)
    await gqlOk(
      `mutation($i: RecordTrainingInput!) { recordTraining(input: $i) { trainingRecord { id } } }`,
      {
        i: {
          userId: toGlobalId(
            'User',
            (await one<{ id: number }>(`select id from app_user where username = ?`, [trainee])).id,
          ),
          course,
          completedOn: '2026-01-15',
          result: 'PASSED',
        },
      },
      tokens[who]!,
    );
  // Reading routes of both stations (generated after the ties above: a route shows nothing of the
  // other station), a check-reading round on each, and a meter of each due for verification.
  const tyReader = await gqlOk<{ createUser: { user: { id: string } } }>(
    `mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }`,
    {
      i: {
        username: 'reader-tianyang',
        password: 'a-long-enough-password',
        displayName: 'Tianyang reader',
        role: 'METER_READER',
        orgUnitId: toGlobalId('OrgUnit', the.tyStation),
      },
    },
    tokens.admin!,
  );
  the.tyReader = tyReader.createUser.user.id;
  for (const [user, station, people] of [
    ['manager1', the.yjStation, [await userGid('reader1'), await userGid('inspector1')]],
    ['manager2', the.tyStation, [await userGid('manager2'), the.tyReader]],
  ] as const) {
    const generated = await gqlOk<{ generateReadingRoutes: { readingRoutes: { id: string }[] } }>(
      `mutation($i: GenerateReadingRoutesInput!) { generateReadingRoutes(input: $i) { readingRoutes { id } } }`,
      { i: { orgUnitId: toGlobalId('OrgUnit', station) } },
      tokens[user]!,
    );
    const route = generated.generateReadingRoutes.readingRoutes[0]!.id;
    const started = await gqlOk<{ startReadingRound: { stops: { id: string }[] } }>(
      `mutation($i: StartReadingRoundInput!) { startReadingRound(input: $i) { stops { id } } }`,
      { i: { routeId: route, assigneeIds: people } },
      tokens[user]!,
    );
    if (station === the.yjStation)
      Object.assign(the, { yjRoute: route, yjStop: started.startReadingRound.stops[0]!.id });
  }
  await sql.execute(`update meter set next_verification_date = current_date where id in (?, ?)`, [
    the.yjMeter,
    the.tyMeter,
  ]);
  // Field work on both stations, by each station's manager: an order with a stop at a box, a
  // hazard report there with a photo of its own, the manager's position.
  for (const [who, station, box, place] of [
    ['manager1', the.yjStation, the.yjBox, 'Youjiang riverside'],
    ['manager2', the.tyStation, the.tyBox, 'Tianyang town'],
  ] as const) {
    const user = await one<{ id: number }>(`select id from app_user where username = ?`, [who]);
    const order = await one<{ id: number }>(
      `insert into work_order (kind, status, title, org_unit_id, due_at, created_by_id, assigned_at)
       values ('PERIODIC_CHECK_READING', 'ASSIGNED', ?, ?, now(), ?, now()) returning id`,
      [`${place} check reading round`, station, user.id],
    );
    await sql.execute(`insert into work_order_assignee (work_order_id, user_id) values (?, ?)`, [order.id, user.id]);
    await sql.execute(`insert into work_order_stop (work_order_id, seq, meter_box_id, note) values (?, 1, ?, ?)`, [
      order.id,
      box,
      `${place} stop at the gate`,
    ]);
    const hazard = await gqlOk<{ reportHazard: { hazardReport: { id: string } } }>(
      `mutation($i: ReportHazardInput!) { reportHazard(input: $i) { hazardReport { id } } }`,
      {
        i: {
          category: 'METER_BOX_DAMAGE',
          description: `${place} box door torn off`,
          meterBoxId: toGlobalId('MeterBox', box),
        },
      },
      tokens[who]!,
    );
    // Different bytes, so that each station's photo has a digest of its own.
    const photo = await uploadPhoto(
      server,
      tokens[who],
      { bytes: Buffer.concat([JPEG, Buffer.from(place)]) },
      {
        hazardReportId: hazard.reportHazard.hazardReport.id,
      },
    );
    if (photo.status !== 201) throw new Error(`photo upload: ${JSON.stringify(photo.body)}`);
    await gqlOk(
      `mutation($i: RecordPositionInput!) { recordPosition(input: $i) { position { recordedAt } } }`,
      { i: { latitude: '23.91', longitude: '106.61' } },
      tokens[who]!,
    );
  }

  // customer1's own objects.
  const c1 = await one<{ id: number }>(`select id from customer where account_no = ?`, [DEMO_CUSTOMER_ACCOUNT]);
  const own = await sql.execute<{ sp: number; meter: number }>(
    `select s.id as sp, a.meter_id as meter from service_point s left join meter_assignment a on a.service_point_id = s.id where s.customer_id = ?`,
    [c1.id],
  );
  the.customer1 = {
    customer: Number(c1.id),
    servicePoints: [...new Set(own.map((o) => Number(o.sp)))],
    meters: own.filter((o) => o.meter !== null).map((o) => Number(o.meter)),
    user: Number((await one<{ id: number }>(`select id from app_user where username = 'customer1'`)).id),
  };
  rows = await collectRows();
  for (const field of queryFields().filter((f) => f.args.some((a) => a.name === 'after'))) {
    const { variables } = probe(
      'query',
      field,
      { label: 'cursor', args: (pick) => ({ ...variantsOf(field)[0]!.args(pick), first: 1 }) },
      0,
    );
    const declared = field.args.filter((a) => a.name in variables);
    const res = await gqlOk<Record<string, { pageInfo: { endCursor: string } }>>(
      `query(${declared.map((a) => `$${a.name}: ${String(a.type)}`).join(', ')}) { ${field.name}(${declared
        .map((a) => `${a.name}: $${a.name}`)
        .join(', ')}) { pageInfo { endCursor } } }`,
      variables,
      tokens.admin!,
    );
    cursors.set(field.name, res[field.name]!.pageInfo.endCursor);
  }
  readingMeters = new Map(
    (await sql.execute<{ id: number; meter_id: number }>(`select id, meter_id from reading`, [])).map((r) => [
      Number(r.id),
      Number(r.meter_id),
    ]),
  );
  accountRows = new Map(
    (
      await sql.execute<{ type: string; id: number; customer_id: number }>(
        `select 'Payment' as type, id, customer_id from payment union all select 'PrepaymentEvent', id, customer_id from prepayment_event`,
        [],
      )
    ).map((r) => [toGlobalId(r.type, String(r.id)), Number(r.customer_id)]),
  );
  alarmMeters = new Map(
    (await sql.execute<{ id: number; meter_id: number }>(`select id, meter_id from alarm`, [])).map((r) => [
      Number(r.id),
      Number(r.meter_id),
    ]),
  );
}, 120_000);
afterAll(async () => server?.stop());

// ---------------------------------------------------------------------------------------------

describe('cross-organisation reads through every root query field', () => {
  it('collects every node type of the schema, on both stations, under the IDs the API gives them', async () => {
    expect(Object.keys(ROW_QUERIES).sort()).toEqual(stationNodeTypes().sort());
    for (const listed of Object.keys(COMPANY_WIDE)) expect(nodeTypes()).toContain(listed);
    for (const type of stationNodeTypes())
      for (const station of ['YJ', 'TY'] as const) {
        const row = rows.find((r) => r.type === type && r.station === station);
        expect(row, `${type} in ST-${station}`).toBeDefined();
        const res = await gqlOk<{ node: unknown }>(
          `query($id: ID!) { node(id: $id) { id __typename } }`,
          { id: row!.gid },
          tokens.admin!,
        );
        expect(res.node).toEqual({ id: row!.gid, __typename: type });
      }
  });

  it('leaves no root field unattacked: each is built from the schema or listed with its reason', () => {
    const fields = queryFields().map((f) => f.name);
    for (const listed of [...Object.keys(BY_HAND), ...Object.keys(NO_STATION_DATA)])
      expect(fields, `${listed} is listed but no longer in the schema`).toContain(listed);
    for (const field of queryFields().filter((f) => !BY_HAND[f.name]))
      expect(() => probesOf('query', field), field.name).not.toThrow();
  });

  it('admins running the same operations see ST-YJ data in every field that carries station data', async () => {
    const detector = detectorFor(PRINCIPALS[0]!);
    const outcomes = await run(
      queryFields()
        .filter((f) => !BY_HAND[f.name])
        .flatMap((f) => probesOf('query', f)),
      tokens.admin!,
    );
    // Every probe is a valid operation: an admin's runs without any error.
    expect(
      outcomes
        .filter((o) => o.result.errors)
        .map((o) => `${o.probe.field} [${o.probe.label}]: ${JSON.stringify(o.result.errors)}`),
    ).toEqual([]);
    const seen = new Set(outcomes.filter((o) => detector.leaks(o.result).length > 0).map((o) => o.probe.field));
    const expected = queryFields()
      .map((f) => f.name)
      .filter((name) => !BY_HAND[name] && !NO_STATION_DATA[name]);
    expect(expected.filter((name) => !seen.has(name))).toEqual([]);
    expect([...seen].filter((name) => NO_STATION_DATA[name])).toEqual([]);
  }, 240_000);

  for (const principal of PRINCIPALS) {
    it(`${principal.name}: no response names what it may not read, and no error is INTERNAL`, async () => {
      const probes = queryFields()
        .filter((f) => !BY_HAND[f.name])
        .flatMap((f) => probesOf('query', f, attackFor(principal.prefer)));
      const outcomes = await run(probes, principal.token());
      expect(problems(outcomes, detectorFor(principal))).toEqual([]);
      if (!principal.ghost) return;
      // An ST-YJ argument is answered exactly like one that names nothing: no existence oracle.
      const ghosts = await run(probes, principal.token(), 'ghost');
      const differ = outcomes
        .map((o, i) => ({ o, g: ghosts[i]! }))
        .filter(({ o, g }) => normalised(o.result, o.probe.variables) !== normalised(g.result, g.probe.ghostVariables))
        .map(
          ({ o, g }) =>
            `${o.probe.field} [${o.probe.label}]: ${JSON.stringify(o.result).slice(0, 300)} vs ${JSON.stringify(g.result).slice(0, 300)}`,
        );
      expect(differ).toEqual([]);
    }, 240_000);
  }

  it("manager2's own rows tied to ST-YJ rows lead nowhere in ST-YJ, however deep", async () => {
    const node = schema.getQueryType()!.getFields().node!;
    const tied: [string, number][] = [
      ['MeterBox', the.tyBox],
      ['OrgUnit', the.tyArea],
      ['ServicePoint', the.tyServicePoint],
      ['CollectionTask', the.crossTask],
      ['CollectionSchedule', the.crossSchedule],
      ['OrgUnit', the.tyStation],
      ['Meter', the.tyMeter],
    ];
    const probes = tied.map(([type, local]) => ({
      ...probe(
        'query',
        node,
        { label: `${type} of ST-TY tied to ST-YJ`, args: () => ({ id: toGlobalId(type, local) }) },
        3,
        type,
      ),
    }));
    const detector = detectorFor(PRINCIPALS[0]!);
    const asManager2 = await run(probes, tokens.manager2!);
    expect(problems(asManager2, detector)).toEqual([]);
    for (const o of asManager2)
      expect((o.result.data as { node: unknown } | undefined)?.node, o.probe.label).toBeTruthy();
    // The ties are there: an admin following the same relations reaches ST-YJ rows from each of
    // the first five (the last two are manager2's plain station and meter).
    const asAdmin = await run(probes, tokens.admin!);
    expect(asAdmin.slice(0, 5).map((o) => detector.leaks(o.result).length > 0)).toEqual([true, true, true, true, true]);
  });
});

// ---------------------------------------------------------------------------------------------

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
};

// A new alarm each time: a repeat of an active one is merged into it and not published.
const alarmTypes = Object.values(AlarmType).filter((t) => t !== AlarmType.METER_COVER_OPEN);
const raised = new Map<number, number>();
let readingValue = 99991;
const newAlarm = (meterId: number) => {
  const n = raised.get(meterId) ?? 0;
  raised.set(meterId, n + 1);
  return raiser
    .raise({ meterId, type: alarmTypes[n % alarmTypes.length]!, message: 'probe alarm', at: new Date() })
    .then(() => undefined);
};
const newReading = (token: string, meterId: number) =>
  gqlOk(
    `mutation($m: ID!, $v: Decimal!, $t: DateTime!) { recordManualReading(input: { meterId: $m, value: $v, measuredAt: $t }) { reading { id } } }`,
    { m: toGlobalId('Meter', meterId), v: String(readingValue++), t: new Date().toISOString() },
    token,
  ).then(() => undefined);

const runProgress = async (station: number) => {
  const run = await one<{ id: number; path: string }>(
    `select r.id, o.path from settlement_run r join org_unit o on o.id = r.org_unit_id where o.id = ? order by r.id limit 1`,
    [station],
  );
  void server.app.events.publish('SETTLEMENT_PROGRESS', {
    runId: Number(run.id),
    orgPath: run.path,
    status: 'COMPLETED',
    customers: 1,
    processed: 1,
    billed: 0,
    unchanged: 0,
    failed: 1,
  });
};

/** Publishes the notice of the station's latest prepayment event, as prepayment does. */
const prepaymentNotice = async (customer: number) => {
  const event = await one<{ id: number; path: string }>(
    `select e.id, o.path from prepayment_event e join customer c on c.id = e.customer_id
       join org_unit o on o.id = c.org_unit_id where c.id = ? order by e.id desc limit 1`,
    [customer],
  );
  void server.app.events.publish('PREPAYMENT_NOTICE', {
    eventId: Number(event.id),
    customerId: customer,
    orgPath: event.path,
  });
};

const workOrderChange = async (workOrder: number) => {
  const order = await one<{ path: string }>(
    `select o.path from work_order w join org_unit o on o.id = w.org_unit_id where w.id = ?`,
    [workOrder],
  );
  const people = await sql.execute<{ user_id: number }>(
    `select user_id from work_order_assignee where work_order_id = ?`,
    [workOrder],
  );
  void server.app.events.publish('WORK_ORDER_CHANGED', {
    workOrderId: workOrder,
    orgPath: order.path,
    assigneeIds: people.map((p) => Number(p.user_id)),
    change: 'ASSIGNED',
  });
};

/**
 * How to cause an event of each subscription in ST-YJ, and in ST-TY (to show that manager2's
 * subscription is alive). A subscription added to the schema must be taught here.
 */
const TRIGGERS: Record<string, { yj: () => Promise<void>; ty?: () => Promise<void>; totalsOnly?: boolean }> = {
  collectionAlarms: { yj: () => newAlarm(the.yjMeter), ty: () => newAlarm(the.tyMeter) },
  readingRecorded: {
    yj: () => newReading(tokens.manager1!, the.yjMeter),
    ty: () => newReading(tokens.manager2!, the.tyMeter),
  },
  // The progress of the run each station started in the set-up, as the run publishes it.
  settlementProgress: { yj: () => runProgress(the.yjStation), ty: () => runProgress(the.tyStation) },
  // A notice of each station's prepaid customer.
  prepaymentNotices: { yj: () => prepaymentNotice(the.yjCustomer), ty: () => prepaymentNotice(the.tyCustomer) },
  // A change of each station's work order, as the work-order service publishes it.
  workOrderChanged: { yj: () => workOrderChange(the.yjWorkOrder), ty: () => workOrderChange(the.tyWorkOrder) },
  // Totals over every unit: for administrators and auditors only, never for a station.
  collectionProgress: {
    totalsOnly: true,
    yj: async () =>
      void server.app.events.publish('COLLECTION_CYCLE', {
        finishedAt: new Date().toISOString(),
        meters: 183,
        succeeded: 180,
        failed: 3,
        values: 900,
        badValues: 0,
      }),
  },
};

describe('cross-organisation events through every subscription', () => {
  it('knows how to cause an event of every subscription', () => {
    expect(
      subscriptionFields()
        .map((f) => f.name)
        .sort(),
    ).toEqual(Object.keys(TRIGGERS).sort());
  });

  it('delivers ST-YJ events to ST-YJ and admins, and nothing of them to manager2, customer1 or an ST-TY key', async () => {
    /** Fires `trigger` every half second until `heard` (a subscription takes a moment to register). */
    const repeatUntil = async (trigger: () => Promise<void>, heard: () => boolean) => {
      for (let end = Date.now() + 10_000; !heard() && Date.now() < end;) {
        await trigger();
        await until(heard, 500);
      }
    };
    for (const field of subscriptionFields()) {
      const { yj, ty, totalsOnly } = TRIGGERS[field.name]!;
      const probes = probesOf('subscription', field);
      const [admin, manager1] = [tokens.admin!, tokens.manager1!].map((t) =>
        server.subscribe(t, probes[0]!.query, probes[0]!.variables),
      ) as [Subscription, Subscription];
      const attackers = PRINCIPALS.flatMap((principal) =>
        probesOf('subscription', field, attackFor(principal.prefer)).map((p) => ({
          principal,
          probe: p,
          sub: server.subscribe(principal.token(), p.query, p.variables),
          before: 0,
        })),
      );
      // manager2's subscription without arguments is alive: it hears its own station.
      const own = attackers.find((a) => a.principal === PRINCIPALS[0] && a.probe.label === 'required arguments')!;
      if (ty) {
        await repeatUntil(ty, () => own.sub.received.length > 0);
        expect(own.sub.received.length, `${field.name}: manager2 hears ST-TY`).toBeGreaterThan(0);
        expect(detectorFor(PRINCIPALS[0]!).leaks({ data: own.sub.received })).toEqual([]);
      }
      await new Promise((r) => setTimeout(r, 400));
      for (const a of attackers) a.before = a.sub.received.length;
      // The controls heard ST-TY's event too: only what comes now counts.
      const [adminBefore, manager1Before] = [admin.received.length, manager1.received.length];

      // Until the admin hears ST-YJ itself (a late ST-TY event may arrive first on a busy machine).
      const names = detectorFor(PRINCIPALS[0]!);
      await repeatUntil(
        yj,
        () =>
          admin.received.length > adminBefore &&
          (totalsOnly || names.leaks({ data: admin.received.slice(adminBefore) }).length > 0),
      );
      const heard = admin.received.slice(adminBefore);
      expect(heard.length, `${field.name}: the admin hears the ST-YJ event`).toBeGreaterThan(0);
      if (!totalsOnly) {
        // The event names ST-YJ rows, so the detector would see them; ST-YJ's manager hears it too.
        expect(detectorFor(PRINCIPALS[0]!).leaks({ data: heard }), field.name).not.toEqual([]);
        await until(() => manager1.received.length > manager1Before);
        expect(manager1.received.length, `${field.name}: manager1 hears the ST-YJ event`).toBeGreaterThan(
          manager1Before,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
      for (const { principal, probe: p, sub, before } of attackers) {
        const where = `${principal.name} ${field.name} [${p.label}]`;
        const since = sub.received.slice(before);
        // Nothing at all of totals, and of ST-YJ's rows nothing for manager2 (an ST-TY key could
        // still be hearing its own meter): whatever arrived names nothing it may not read.
        if (totalsOnly || principal === PRINCIPALS[0]) expect(since, where).toEqual([]);
        expect(detectorFor(principal).leaks({ data: since }), where).toEqual([]);
        expect(detectorFor(principal).leaks({ errors: sub.errors }, strings(p.variables)), where).toEqual([]);
        expect(JSON.stringify(sub.errors), where).not.toContain('INTERNAL');
      }
      await Promise.all([admin, manager1, ...attackers.map((a) => a.sub)].map((s) => s.client.dispose()));
    }
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// VEE mutations: they act on readings and rule sets of a subtree, so each is attacked by hand.

/** Every VEE mutation with an operation that names ST-YJ rows (or, with `ghost`, rows that do not exist). */
const VEE_MUTATIONS: Record<string, (ghost: boolean) => { query: string; variables: Record<string, unknown> }> = {
  validateReadings: (ghost) => ({
    query: `mutation($i: VeeRangeInput!) { validateReadings(input: $i) { checked suspectReadings { id value } } }`,
    variables: {
      i: { orgUnitId: toGlobalId('OrgUnit', ghost ? 99_999 : the.yjStation), from: '2026-01-01', to: '2026-01-31' },
    },
  }),
  estimateReadings: (ghost) => ({
    query: `mutation($i: VeeRangeInput!) { estimateReadings(input: $i) { estimated readings { id value } } }`,
    variables: {
      i: { orgUnitId: toGlobalId('OrgUnit', ghost ? 99_999 : the.yjArea), from: '2026-01-01', to: '2026-01-31' },
    },
  }),
  editReading: (ghost) => ({
    query: `mutation($i: EditReadingInput!) { editReading(input: $i) { reading { id value } } }`,
    variables: {
      i: { readingId: toGlobalId('Reading', ghost ? 999_999_999 : the.yjReading), value: '1', reason: 'attack' },
    },
  }),
  setVeeRuleSet: (ghost) => ({
    query: `mutation($i: SetVeeRuleSetInput!) { setVeeRuleSet(input: $i) { veeRuleSet { id name } } }`,
    variables: {
      i: {
        id: ghost ? toGlobalId('VeeRuleSet', 99_999) : the.yjVeeRuleSet,
        name: 'taken over',
        orgUnitId: toGlobalId('OrgUnit', the.tyArea),
        enabledRules: [],
      },
    },
  }),
  deleteVeeRuleSet: (ghost) => ({
    query: `mutation($i: DeleteVeeRuleSetInput!) { deleteVeeRuleSet(input: $i) { deletedId } }`,
    variables: { i: { id: ghost ? toGlobalId('VeeRuleSet', 99_999) : the.yjVeeRuleSet } },
  }),
};

describe('cross-organisation VEE mutations', () => {
  it('attacks every VEE mutation of the schema', () => {
    const vee = Object.keys(schema.getMutationType()!.getFields()).filter((name) =>
      /Readings$|^editReading$|VeeRuleSet$/.test(name),
    );
    expect(vee.sort()).toEqual(Object.keys(VEE_MUTATIONS).sort());
  });

  it('answers ST-YJ rows exactly like rows that do not exist, and changes nothing', async () => {
    const state = async () =>
      sql.execute(
        `select (select md5(coalesce(string_agg(id || ':' || value || ':' || source || ':' || flags, ',' order by id), '')) from reading) as readings,
                (select count(*) from reading_version) as versions,
                (select md5(coalesce(string_agg(id || ':' || name || ':' || org_unit_id, ',' order by id), '')) from vee_rule_set) as sets`,
        [],
      );
    const before = await state();
    const shape = (res: GqlResult<unknown>, variables: Record<string, unknown>) => {
      let text = JSON.stringify({ data: res.data ?? null, errors: res.errors?.map((e) => e.extensions) });
      for (const value of strings(variables)) text = text.split(value).join('<arg>');
      return text;
    };
    for (const principal of [
      { name: 'manager2', token: tokens.manager2! },
      { name: 'customer1', token: tokens.customer1! },
      { name: 'ST-TY key', token: tokens.tyKey! },
    ]) {
      for (const [name, build] of Object.entries(VEE_MUTATIONS)) {
        const real = build(false);
        const ghost = build(true);
        const [a, b] = [
          await server.gql(real.query, real.variables, principal.token),
          await server.gql(ghost.query, ghost.variables, principal.token),
        ];
        const where = `${principal.name} ${name}`;
        expect(a.errors?.length, where).toBe(1);
        expect(a.errors![0]!.extensions?.code, where).not.toBe('INTERNAL');
        expect(shape(a, real.variables), where).toBe(shape(b, ghost.variables));
      }
    }
    expect(await state()).toEqual(before);
  });
});

describe('cross-organisation writes of line loss bands', () => {
  const SET = `mutation($i: SetLineLossBandInput!) { setLineLossBand(input: $i) { orgUnit { id code } band { min max } } }`;
  const bandOf = async (area: number) =>
    one<{ min: string | null; max: string | null }>(
      `select line_loss_min::text as min, line_loss_max::text as max from org_unit where id = ?`,
      [area],
    );

  it('lets no one outside ST-YJ set the band of an ST-YJ area, answered like an area that does not exist', async () => {
    const before = await bandOf(the.yjArea);
    for (const principal of PRINCIPALS) {
      const input = (orgUnitId: string) => ({ i: { orgUnitId, min: '1', max: '2' } });
      const write: Probe = {
        field: 'setLineLossBand',
        label: principal.name,
        query: SET,
        variables: input(toGlobalId('OrgUnit', the.yjArea)),
        ghostVariables: input(ghost.id('OrgUnit')),
      };
      const attackResult = await server.gql(SET, write.variables, principal.token());
      const ghostResult = await server.gql(SET, write.ghostVariables, principal.token());
      expect(attackResult.data ?? null, principal.name).toBeNull();
      expect(attackResult.errors?.[0]?.extensions?.code, principal.name).not.toBe('INTERNAL');
      expect(problems([{ probe: write, result: attackResult }], detectorFor(principal))).toEqual([]);
      expect(normalised(attackResult, write.variables), principal.name).toBe(
        normalised(ghostResult, write.ghostVariables),
      );
    }
    expect(await bandOf(the.yjArea)).toEqual(before);
    // The same write by an admin does reach the area: the probe names a real one.
    const admin = await server.gql(
      SET,
      { i: { orgUnitId: toGlobalId('OrgUnit', the.yjArea), min: '1', max: '2' } },
      tokens.admin,
    );
    expect(admin.errors).toBeUndefined();
    expect(await bandOf(the.yjArea)).toEqual({ min: '1.00', max: '2.00' });
    await server.gql(SET, { i: { orgUnitId: toGlobalId('OrgUnit', the.yjArea), min: null, max: null } }, tokens.admin);
  });
});

// ---------------------------------------------------------------------------------------------
// Account mutations: payments, reversals and prepayment settings of a customer, attacked by hand.

const ACCOUNT_MUTATIONS: Record<string, (ghost: boolean) => { query: string; variables: Record<string, unknown> }> = {
  recordPayment: (ghost) => ({
    query: `mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { replayed payment { id amount reference } } }`,
    variables: {
      i: {
        customerId: toGlobalId('Customer', ghost ? 2_000_000_000 : the.yjCustomer),
        amount: '9.99',
        method: 'CASH',
        reference: 'ATTACK-0001',
      },
    },
  }),
  reversePayment: (ghost) => ({
    query: `mutation($i: ReversePaymentInput!) { reversePayment(input: $i) { replayed payment { id amount } } }`,
    variables: {
      i: {
        paymentId: ghost
          ? toGlobalId('Payment', 2_000_000_000)
          : rows.find((r) => r.type === 'Payment' && r.station === 'YJ')!.gid,
        reason: 'attack',
      },
    },
  }),
  setPrepayment: (ghost) => ({
    query: `mutation($i: SetPrepaymentInput!) { setPrepayment(input: $i) { customer { id account { balance status } } } }`,
    variables: {
      i: { customerId: toGlobalId('Customer', ghost ? 2_000_000_000 : the.yjCustomer), prepaid: false },
    },
  }),
};

describe('cross-organisation account mutations', () => {
  it('attacks every account mutation of the schema', () => {
    const account = Object.keys(schema.getMutationType()!.getFields()).filter((name) =>
      /Payment$|^setPrepayment$/.test(name),
    );
    expect(account.sort()).toEqual(Object.keys(ACCOUNT_MUTATIONS).sort());
  });

  it('answers ST-YJ customers and payments exactly like ones that do not exist, and changes nothing', async () => {
    const state = async () =>
      sql.execute(
        `select (select md5(coalesce(string_agg(id || ':' || amount || ':' || customer_id, ',' order by id), '')) from payment) as payments,
                (select count(*) from prepayment_event) as events,
                (select md5(coalesce(string_agg(id || ':' || prepaid || ':' || trip_below || ':' || prepayment_state, ',' order by id), '')) from customer) as customers`,
        [],
      );
    const before = await state();
    for (const principal of PRINCIPALS) {
      for (const [name, build] of Object.entries(ACCOUNT_MUTATIONS)) {
        const real = build(false);
        const fake = build(true);
        const write: Probe = {
          field: name,
          label: principal.name,
          query: real.query,
          variables: real.variables,
          ghostVariables: fake.variables,
        };
        const [a, b] = [
          await server.gql(real.query, real.variables, principal.token()),
          await server.gql(fake.query, fake.variables, principal.token()),
        ];
        const where = `${principal.name} ${name}`;
        expect(a.data ?? null, where).toBeNull();
        expect(a.errors?.length, where).toBe(1);
        expect(problems([{ probe: write, result: a }], detectorFor(principal)), where).toEqual([]);
        expect(normalised(a, real.variables), where).toBe(normalised(b, fake.variables));
      }
    }
    expect(await state()).toEqual(before);
    // The same writes by ST-YJ's manager do reach the rows: the probes name real ones.
    for (const name of ['recordPayment', 'setPrepayment']) {
      const real = ACCOUNT_MUTATIONS[name]!(false);
      expect((await server.gql(real.query, real.variables, tokens.manager1)).errors, name).toBeUndefined();
    }
    expect(await state()).not.toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Training mutations: records of a station's staff, attacked by hand.

const yjTrainingRecord = () => rows.find((r) => r.type === 'TrainingRecord' && r.station === 'YJ')!.gid;
const TRAINING_MUTATIONS: Record<string, (ghost: boolean) => { query: string; variables: Record<string, unknown> }> = {
  recordTraining: (ghost) => ({
    query: `mutation($i: RecordTrainingInput!) { recordTraining(input: $i) { trainingRecord { id course } } }`,
    variables: {
      i: {
        userId: ghost ? toGlobalId('User', 2_000_000_000) : rows.find((r) => r.values.username === 'reader1')!.gid,
        course: 'attack course',
        completedOn: '2026-01-16',
        result: 'FAILED',
      },
    },
  }),
  updateTraining: (ghost) => ({
    query: `mutation($i: UpdateTrainingInput!) { updateTraining(input: $i) { trainingRecord { id course } } }`,
    variables: { i: { id: ghost ? toGlobalId('TrainingRecord', 2_000_000_000) : yjTrainingRecord(), course: 'taken' } },
  }),
  deleteTraining: (ghost) => ({
    query: `mutation($i: DeleteTrainingInput!) { deleteTraining(input: $i) { deletedId } }`,
    variables: { i: { id: ghost ? toGlobalId('TrainingRecord', 2_000_000_000) : yjTrainingRecord() } },
  }),
};

describe('cross-organisation training mutations', () => {
  it('attacks every training mutation of the schema', () => {
    const training = Object.keys(schema.getMutationType()!.getFields()).filter((name) => /Training$/.test(name));
    expect(training.sort()).toEqual(Object.keys(TRAINING_MUTATIONS).sort());
  });

  it('answers ST-YJ staff and records exactly like ones that do not exist, and changes nothing', async () => {
    const state = async () =>
      sql.execute(
        `select md5(coalesce(string_agg(id || ':' || course || ':' || result || ':' || user_id, ',' order by id), '')) as records from training_record`,
        [],
      );
    const before = await state();
    for (const principal of PRINCIPALS) {
      for (const [name, build] of Object.entries(TRAINING_MUTATIONS)) {
        const real = build(false);
        const fake = build(true);
        const write: Probe = {
          field: name,
          label: principal.name,
          query: real.query,
          variables: real.variables,
          ghostVariables: fake.variables,
        };
        const [a, b] = [
          await server.gql(real.query, real.variables, principal.token()),
          await server.gql(fake.query, fake.variables, principal.token()),
        ];
        const where = `${principal.name} ${name}`;
        expect(a.data ?? null, where).toBeNull();
        expect(a.errors?.length, where).toBe(1);
        expect(problems([{ probe: write, result: a }], detectorFor(principal)), where).toEqual([]);
        expect(normalised(a, real.variables), where).toBe(normalised(b, fake.variables));
      }
    }
    expect(await state()).toEqual(before);
    // ST-YJ's manager does reach the rows: the probes name real ones.
    const real = TRAINING_MUTATIONS.updateTraining!(false);
    expect((await server.gql(real.query, real.variables, tokens.manager1)).errors).toBeUndefined();
    expect(await state()).not.toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Reading rounds: routes, rounds, field readings and verification planning, attacked by hand.

const ROUND_MUTATIONS: Record<string, (ghost: boolean) => { query: string; variables: Record<string, unknown> }> = {
  generateReadingRoutes: (ghost) => ({
    query: `mutation($i: GenerateReadingRoutesInput!) { generateReadingRoutes(input: $i) { readingRoutes { id name } } }`,
    variables: { i: { orgUnitId: toGlobalId('OrgUnit', ghost ? 2_000_000_000 : the.yjStation) } },
  }),
  // A route of the attacker's own station made of an ST-YJ box.
  createReadingRoute: (ghost) => ({
    query: `mutation($i: CreateReadingRouteInput!) { createReadingRoute(input: $i) { readingRoute { id boxes { meterBox { barcode } } } } }`,
    variables: {
      i: {
        orgUnitId: toGlobalId('OrgUnit', the.tyStation),
        name: 'Borrowed boxes',
        readingDay: 3,
        windowStart: '08:00',
        windowEnd: '10:00',
        meterBoxIds: [toGlobalId('MeterBox', ghost ? 2_000_000_000 : the.yjBox)],
      },
    },
  }),
  updateReadingRoute: (ghost) => ({
    query: `mutation($i: UpdateReadingRouteInput!) { updateReadingRoute(input: $i) { readingRoute { id name } } }`,
    variables: { i: { id: ghost ? toGlobalId('ReadingRoute', 2_000_000_000) : the.yjRoute, name: 'taken over' } },
  }),
  startReadingRound: (ghost) => ({
    query: `mutation($i: StartReadingRoundInput!) { startReadingRound(input: $i) { workOrder { id title } stops { id } } }`,
    variables: {
      i: {
        routeId: ghost ? toGlobalId('ReadingRoute', 2_000_000_000) : the.yjRoute,
        assigneeIds: [rows.find((r) => r.type === 'User' && r.values.username === 'manager2')!.gid, the.tyReader],
      },
    },
  }),
  recordStopReading: (ghost) => ({
    query: `mutation($i: RecordStopReadingInput!) { recordStopReading(input: $i) { stop { id fieldValue } reading { id } } }`,
    variables: { i: { stopId: ghost ? toGlobalId('WorkOrderStop', 2_000_000_000) : the.yjStop, value: '1' } },
  }),
  skipStop: (ghost) => ({
    query: `mutation($i: SkipStopInput!) { skipStop(input: $i) { stop { id status } } }`,
    variables: { i: { stopId: ghost ? toGlobalId('WorkOrderStop', 2_000_000_000) : the.yjStop, reason: 'attack' } },
  }),
  planVerificationWorkOrders: (ghost) => ({
    query: `mutation($i: PlanVerificationWorkOrdersInput!) { planVerificationWorkOrders(input: $i) { meters workOrders { id title } } }`,
    variables: { i: { orgUnitId: toGlobalId('OrgUnit', ghost ? 2_000_000_000 : the.yjStation) } },
  }),
};

describe('cross-organisation reading-round mutations', () => {
  it('attacks every reading-round mutation of the schema', () => {
    const rounds = Object.keys(schema.getMutationType()!.getFields()).filter((name) =>
      /ReadingRoute|ReadingRound|Stop|Verification/.test(name),
    );
    expect(rounds.sort()).toEqual(Object.keys(ROUND_MUTATIONS).sort());
  });

  it('answers ST-YJ routes, stops and units exactly like ones that do not exist, and changes nothing', async () => {
    const state = async () =>
      sql.execute(
        `select (select md5(coalesce(string_agg(r::text, ',' order by r.id), '')) from reading_route r) as routes,
                (select md5(coalesce(string_agg(b::text, ',' order by b.id), '')) from reading_route_box b) as boxes,
                (select md5(coalesce(string_agg(w::text, ',' order by w.id), '')) from work_order w) as orders,
                (select md5(coalesce(string_agg(s::text, ',' order by s.id), '')) from work_order_stop s) as stops,
                (select count(*) from work_order_assignee) as assignees,
                (select count(*) from reading) as readings`,
        [],
      );
    const before = await state();
    for (const principal of PRINCIPALS) {
      for (const [name, build] of Object.entries(ROUND_MUTATIONS)) {
        const real = build(false);
        const fake = build(true);
        const write: Probe = {
          field: name,
          label: principal.name,
          query: real.query,
          variables: real.variables,
          ghostVariables: fake.variables,
        };
        const [a, b] = [
          await server.gql(real.query, real.variables, principal.token()),
          await server.gql(fake.query, fake.variables, principal.token()),
        ];
        const where = `${principal.name} ${name}`;
        expect(a.data ?? null, where).toBeNull();
        expect(a.errors?.length, where).toBe(1);
        expect(problems([{ probe: write, result: a }], detectorFor(principal)), where).toEqual([]);
        expect(normalised(a, real.variables), where).toBe(normalised(b, fake.variables));
      }
    }
    expect(await state()).toEqual(before);
    // The same route, renamed by ST-YJ's manager, does change: the probes name a real one.
    const rename = ROUND_MUTATIONS.updateReadingRoute!(false);
    expect((await server.gql(rename.query, rename.variables, tokens.manager1)).errors).toBeUndefined();
    expect(await state()).not.toEqual(before);
  });
});
