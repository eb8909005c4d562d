import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { buildSchema, getNamedType, isObjectType, type GraphQLField } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS, SUBJECTS } from '../src/auth/permissions.js';
import { startTestServer, type GqlError, type TestServer } from './harness.js';
import {
  argumentsArbitrary,
  harvestIds,
  operationFor,
  type ArbitraryContext,
  type IdPool,
} from './support/graphql-arbitraries.js';

/**
 * Property-based fuzzing of every mutation of the schema, as an admin (every permission, so the
 * deepest code paths) over HTTP, on the demo archive. For any input:
 *   1. no error is INTERNAL and no response is a 5xx: every failure is a typed client error;
 *   2. a failed mutation writes nothing: the database is as before (fingerprint of every table);
 * and after each mutation the administrator can still change the rules (no input locks every
 * administrator out). The mutations and their argument types come from schema.graphql, so a
 * mutation added later is fuzzed without touching this file. None is left out: the credential
 * checks (login, refreshToken, logout) are fuzzed like the rest, and readMeterNow reaches real
 * collector plugins, kept fast by its fixtures (a simulator channel, a Modbus gateway on a closed
 * port) and a plugin call timeout of one second.
 *
 * In the suite the fuzzer is repeatable: a fixed seed and a fixed number of inputs per mutation
 * (FUZZ_RUNS, default 5), whatever the machine's load. A mutation none of whose inputs got past
 * GraphQL coercion gets more, up to ten times as many, until one has. `npm run fuzz` is the long
 * random run: FUZZ_SEED=random, FUZZ_RUNS=200 and a time budget (FUZZ_BUDGET_MS for all
 * mutations together; past it, the remaining inputs of a mutation pass without a request).
 * FUZZ_SEED=<n> replays a seed (fast-check prints the seed and path of a failure; run the one
 * mutation again with FUZZ_SEED=<seed> npx vitest run test/fuzz-mutations.e2e.test.ts -t <mutation>;
 * the database then differs from the full run, so the counterexample printed is the thing to replay).
 */

const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
const mutationType = schema.getMutationType()!;
// Destructive mutations last, so that the others still find objects to work on.
const DESTRUCTIVE = /^(delete|remove|scrap|logout)/;
const mutations = Object.values(mutationType.getFields()).sort(
  (a, b) => Number(DESTRUCTIVE.test(a.name)) - Number(DESTRUCTIVE.test(b.name)) || a.name.localeCompare(b.name),
);

const SEED = process.env.FUZZ_SEED === 'random' ? undefined : Number(process.env.FUZZ_SEED ?? 20261208);
const RUNS = Number(process.env.FUZZ_RUNS ?? 5);
const BUDGET_MS = process.env.FUZZ_BUDGET_MS ? Number(process.env.FUZZ_BUDGET_MS) : undefined;
const PER_MUTATION_MS = BUDGET_MS ? Math.max(1000, Math.floor(BUDGET_MS / mutations.length)) : Infinity;
const SHRINK_MS = 20_000;

/**
 * Tables left out of the fingerprint, each because it changes on a failed mutation by design.
 * audit_record: every mutation is recorded, failed ones included, with the error code as outcome.
 */
const NEVER_COMPARED = new Set(['audit_record']);

/** Tables a particular mutation writes on purpose even when it answers with an error. */
const WRITTEN_ON_FAILURE: Record<string, string[]> = {
  // A refresh token presented twice has leaked: the whole token family is revoked, then the
  // request is refused (UNAUTHENTICATED). The revocation must survive the refusal.
  refreshToken: ['refresh_token'],
  // A failed login counts toward the lockout of the name and of the address: that is its purpose.
  login: ['login_throttle'],
  customerLogin: ['login_throttle'],
};

/**
 * Mutations that end the fuzzer's own session when they succeed (every session of the signed-in
 * user): it logs in again after each, so that the next calls are not all UNAUTHENTICATED.
 */
const ENDS_OWN_SESSION = new Set(['logoutEverywhere']);

let server: TestServer;
let token: string;
let adminId: string;
const pool: IdPool = new Map();
const refreshTokens: string[] = [];
let tables: string[] = [];

interface Response {
  status: number;
  body: { data?: unknown; errors?: GqlError[] } | undefined;
  text: string;
}

async function post(query: string, variables: Record<string, unknown>): Promise<Response> {
  const body = JSON.stringify({ query, variables });
  const send = () =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
  // A body over the size limit is refused before it is read; the server then closes the socket,
  // which the next request on it may hit. That request is sent again once, on a new connection.
  const res = await send().catch(send);
  const text = await res.text();
  let parsed: Response['body'];
  try {
    parsed = JSON.parse(text) as Response['body'];
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

async function gqlOk<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await post(query, variables);
  if (!res.body?.data || res.body.errors) throw new Error(`${query}: ${res.text.slice(0, 500)}`);
  return res.body.data as T;
}

// ---------------------------------------------------------------------------------------------------------
// Database fingerprint
// ---------------------------------------------------------------------------------------------------------

type Fingerprint = Map<string, string>;

/**
 * Row count and the sum of the 64-bit hashes of the rows' text of each table, in one statement:
 * the same for the same rows in any order, so nothing is sorted, and a changed, added or removed
 * row changes it (but for a hash collision).
 */
async function fingerprint(): Promise<Fingerprint> {
  const sql = tables
    .map(
      (t) =>
        `select '${t}' as t, count(*)::text || ':' || coalesce(sum(hashtextextended(x::text, 0)::numeric), 0)::text as h from "${t}" x`,
    )
    .join(' union all ');
  const rows = await server.em().execute<{ t: string; h: string }[]>(sql);
  return new Map(rows.map((r) => [r.t, r.h]));
}

const changedTables = (a: Fingerprint, b: Fingerprint) => [...a.keys()].filter((t) => a.get(t) !== b.get(t));

/**
 * A successful mutation may leave work behind: the readings of an on-demand read are stored by
 * ingestion a moment later, a correction of readings starts a re-bill. The fingerprint taken as
 * "before" waits for both, so that no background write is blamed on the next mutation.
 */
async function settledFingerprint(): Promise<Fingerprint> {
  expect(await server.app.ingestionDrained()).toBe(true);
  await server.app.settlements.idle();
  return fingerprint();
}

// ---------------------------------------------------------------------------------------------------------
// Plausible values: what exists in the demo archive, and well-formed codes
// ---------------------------------------------------------------------------------------------------------

function context(orgCodes: string[], accountNos: string[]): ArbitraryContext {
  const name = fc.oneof(
    fc.constantFrom('Youjiang No.9 Transformer', 'Li Wei', '张伟', 'Nanning Supply', 'North Feeder'),
    fc.stringMatching(/^[A-Z][a-z]{2,12}( [A-Z][a-z]{2,12}){0,3}$/),
  );
  const text = fc.oneof(name, fc.stringMatching(/^[A-Za-z0-9 ,.-]{1,80}$/));
  const orgCode = fc.oneof(fc.constantFrom(...orgCodes), fc.stringMatching(/^[A-Z]{2}-[A-Z0-9]{1,6}(-\d{2})?$/));
  const barcode = fc.stringMatching(/^[A-Z0-9]{4,20}$/);
  const time = fc.oneof(fc.stringMatching(/^([01]\d|2[0-3]):[0-5]\d$/), fc.constantFrom('24:00', '6:00', '23:59'));
  return {
    ids: pool,
    strings: {
      accountNo: fc.oneof(fc.constantFrom(...accountNos), fc.stringMatching(/^\d{10,16}$/)),
      commAddress: fc.stringMatching(/^\d{12}$/),
      barcode,
      assetNo: barcode,
      meterAssetNo: barcode,
      meterBarcode: barcode,
      meterBoxBarcode: barcode,
      code: orgCode,
      orgUnitCode: orgCode,
      meterBoxAreaCode: orgCode,
      name,
      displayName: name,
      customerName: name,
      address: text,
      manufacturer: text,
      model: fc.stringMatching(/^[A-Z]{2,4}\d{2,4}(-\d)?$/),
      note: text,
      reason: text,
      phone: fc.stringMatching(/^1[3-9]\d{9}$/),
      idNumber: fc.stringMatching(/^\d{17}[\dX]$/),
      accuracyClass: fc.constantFrom('0.2S', '0.5S', '1.0', '2.0', 'A', 'B', 'C', 'D', '3.0'),
      readingWindowStart: time,
      readingWindowEnd: time,
      windowStart: time,
      windowEnd: time,
      timeZone: fc.constantFrom('Asia/Shanghai', 'UTC', 'America/New_York', 'Etc/GMT+12', 'Mars/Olympus'),
      pluginId: fc.constantFrom('simulator', 'modbus-tcp', 'modbus-rtu', 'dlt645-2007-tcp', 'mqtt-json', 'no-such'),
      username: fc.oneof(
        fc.constantFrom('admin', 'manager1', 'reader1'),
        fc.stringMatching(/^[a-z][a-z0-9_.-]{2,20}$/),
      ),
      password: fc.oneof(
        fc.constantFrom('metergraph-admin', 'metergraph-demo'),
        fc.stringMatching(/^[A-Za-z0-9]{10,40}$/),
      ),
      refreshToken: fc.oneof(fc.constantFrom(...refreshTokens), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)),
      'PermissionRuleInput.action': fc.constantFrom(...ACTIONS, 'fly'),
      'PermissionRuleInput.subject': fc.constantFrom(...SUBJECTS, 'Nope'),
      'PermissionRuleInput.fields': fc.constantFrom('phone', 'idNumber', 'name', 'accountNo', 'bogus'),
    },
    objects: {
      // Settings a channel's plugin accepts: a simulator, a Modbus meter behind a closed port and
      // a DL/T 645 gateway that is not there (both fail fast), or the plugin's defaults.
      'CreateChannelInput.settings': fc.constantFrom(
        { seed: 1 },
        { host: '127.0.0.1', port: 1, unitId: 1, responseTimeoutMs: 200 },
        { host: '127.0.0.1', port: 1 },
        {},
      ),
      'UpdateChannelInput.settings': fc.constantFrom({ seed: 2 }, { host: '127.0.0.1', port: 1, unitId: 3 }),
      'SetMeterCollectionInput.settings': fc.constantFrom({ seed: 3 }, { unitId: 2 }, {}),
      'CollectionPointInput.settings': fc.constantFrom(
        { register: 'FORWARD_ACTIVE_TOTAL' },
        { address: 0, type: 'uint32', scale: '0.01' },
        { di: '00010000' },
      ),
    },
    ints: {
      billingDay: fc.integer({ min: 0, max: 32 }),
      intervalMinutes: fc.constantFrom(1, 5, 15, 60, 1440, 0),
      maxAttempts: fc.integer({ min: 0, max: 12 }),
      registerDigits: fc.integer({ min: 3, max: 10 }),
      registerDecimals: fc.integer({ min: 0, max: 5 }),
    },
  };
}

/** Ids of what exists, from every root list of the Query type that needs no argument. */
async function fillPool(): Promise<void> {
  for (const field of Object.values(schema.getQueryType()!.getFields())) {
    if (field.args.some((a) => a.type.toString().endsWith('!') && a.defaultValue === undefined)) continue;
    const type = getNamedType(field.type);
    if (!isObjectType(type) || !type.getFields().nodes) continue;
    const first = field.args.some((a) => a.name === 'first') ? '(first: 10)' : '';
    const res = await post(`{ ${field.name}${first} { nodes { __typename id } } }`, {});
    harvestIds(res.body?.data, pool, new Set([adminId]));
  }
}

async function login(): Promise<{ accessToken: string; refreshToken: string; user: { id: string } }> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `mutation { login(input: { username: "admin", password: "metergraph-admin" }) { accessToken refreshToken user { id } } }`,
    }),
  });
  return (
    (await res.json()) as { data: { login: { accessToken: string; refreshToken: string; user: { id: string } } } }
  ).data.login;
}

/** Objects the demo has none of, so that their mutations reach past "not found". */
async function createFixtures(): Promise<void> {
  const area = pool.get('OrgUnit')!.at(-1)!;
  const meters = pool.get('Meter')!;
  const channel = async (name: string, pluginId: string, settings: object) =>
    (
      await gqlOk<{ createChannel: { channel: { id: string } } }>(
        `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`,
        { i: { name, pluginId, settings, orgUnitId: area } },
      )
    ).createChannel.channel.id;
  const simulator = await channel('Fuzz simulator', 'simulator', { seed: 7 });
  // A Modbus gateway on a port where nothing listens: reads fail at once.
  const modbus = await channel('Fuzz modbus', 'modbus-tcp', { host: '127.0.0.1', port: 1, unitId: 1 });
  const attach = (meterId: string, channelId: string, points: object[]) =>
    gqlOk(`mutation($i: SetMeterCollectionInput!) { setMeterCollection(input: $i) { collection { status } } }`, {
      i: { meterId, channelId, points },
    });
  await attach(meters[0]!, simulator, [
    { register: 'FORWARD_ACTIVE_TOTAL', settings: { register: 'FORWARD_ACTIVE_TOTAL' } },
  ]);
  await attach(meters[1]!, modbus, [
    { register: 'FORWARD_ACTIVE_TOTAL', settings: { address: 0, type: 'uint32', scale: '0.01' } },
  ]);
  await gqlOk(
    `mutation($i: CreateCollectionScheduleInput!) { createCollectionSchedule(input: $i) { schedule { id } } }`,
    { i: { name: 'Fuzz daily', kind: 'DAILY_FROZEN', orgUnitId: area, enabled: false } },
  );
  // Alarms come from collection; a few open ones to acknowledge and close.
  await server.em().execute(
    `insert into alarm (type, severity, status, meter_id, org_unit_id, message, first_at, last_at, count)
     select t.type, 'MAJOR', 'OPEN', m.id, m.org_unit_id, 'fuzz fixture', now(), now(), 1
       from (select id, org_unit_id from meter order by id limit 3) m
      cross join (values ('POWER_OFF'), ('METER_COVER_OPEN')) as t(type)`,
  );
  pool.clear();
  await fillPool();
}

beforeAll(async () => {
  server = await startTestServer({
    demo: true,
    env: {
      // Nothing runs on its own while a failed mutation is checked for writes: collection looks
      // for due work once an hour, and the meter watch finds neither offline nor stopped meters.
      COLLECTION_CYCLE_MS: '3600000',
      METER_OFFLINE_HOURS: '8760',
      METER_STOPPED_DAYS: '365',
      // A meter that does not answer fails within a second.
      PLUGIN_CALL_TIMEOUT_MS: '1000',
      // Fuzzed logins fail by the hundred from one address: lockouts would keep the fuzzer itself
      // out (lockouts are tested in login-policy.e2e).
      LOGIN_MAX_FAILURES: '100',
      LOGIN_ADDRESS_MAX_FAILURES: '10000',
    },
  });
  const session = await login();
  token = session.accessToken;
  adminId = session.user.id;
  for (let i = 0; i < 3; i++) refreshTokens.push((await login()).refreshToken);
  const rows = await server
    .em()
    .execute<{ t: string }[]>(`select tablename as t from pg_tables where schemaname = 'public' order by tablename`);
  tables = rows.map((r) => r.t).filter((t) => !NEVER_COMPARED.has(t));
  await fillPool();
  await createFixtures();
});
afterAll(async () => server?.stop());

// ---------------------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------------------

const stats = new Map<string, Map<string, number>>();
const count = (mutation: string, outcome: string) => {
  const m = stats.get(mutation) ?? new Map<string, number>();
  m.set(outcome, (m.get(outcome) ?? 0) + 1);
  stats.set(mutation, m);
};

/** What the response says happened: OK, or the code of its first error (where it came from). */
function outcomeOf(res: Response): string {
  const error = res.body?.errors?.[0];
  if (!error) return 'OK';
  const code = String(error.extensions?.code ?? 'NO_CODE');
  // Errors with a path come from the resolver: the input got past coercion.
  return error.path ? `${code}@resolver` : `${code}@request`;
}

describe.sequential('fuzzing every mutation', () => {
  let before: Fingerprint | undefined;

  async function check(field: GraphQLField<unknown, unknown>, query: string, variables: Record<string, unknown>) {
    const start = before ?? (await settledFingerprint());
    before = undefined;
    const res = await post(query, variables);
    count(field.name, outcomeOf(res));
    let written: string[] = [];
    if (res.body?.errors?.length) {
      const after = await fingerprint();
      const allowed = new Set(WRITTEN_ON_FAILURE[field.name] ?? []);
      written = changedTables(start, after).filter((t) => !allowed.has(t));
      before = after;
    } else {
      // Changed on purpose: the next call takes a new "before".
      harvestIds(res.body?.data, pool, new Set([adminId]));
      if (ENDS_OWN_SESSION.has(field.name)) token = (await login()).accessToken;
    }
    const shown = () =>
      `${field.name} with ${JSON.stringify(variables).slice(0, 2000)}\n-> ${res.status} ${res.text.slice(0, 2000)}`;
    expect(res.status, shown()).toBeLessThan(500);
    expect(res.body, shown()).toBeDefined();
    const internal = (res.body?.errors ?? []).filter((e) => e.extensions?.code === 'INTERNAL' || !e.extensions?.code);
    expect(internal, shown()).toEqual([]);
    expect(written, `partial write by a failed ${shown()}`).toEqual([]);
  }

  for (const field of mutations) {
    it(
      `${field.name}: no INTERNAL error, no write when it fails`,
      { timeout: (BUDGET_MS ? PER_MUTATION_MS : 0) + SHRINK_MS + 120_000 },
      async () => {
        const query = operationFor(field);
        const orgCodes = (
          await gqlOk<{ orgUnits: { nodes: { code: string }[] } }>(`{ orgUnits(first: 50) { nodes { code } } }`)
        ).orgUnits.nodes.map((u) => u.code);
        const accountNos = (
          await gqlOk<{ customers: { nodes: { accountNo: string }[] } }>(
            `{ customers(first: 5) { nodes { accountNo } } }`,
          )
        ).customers.nodes.map((c) => c.accountNo);
        // RUNS inputs; more, up to ten times as many, while none has got past coercion (the last
        // test demands one). Past the time budget of a long run, the remaining inputs pass without
        // a request (fast-check's own time limit would leave a request running into the next
        // mutation's fingerprints). Shrinking a failure gets more time: a small counterexample is
        // worth it.
        let deadline = Date.now() + PER_MUTATION_MS;
        const lastChance = Date.now() + 10 * PER_MUTATION_MS;
        const reached = () =>
          [...(stats.get(field.name)?.keys() ?? [])].some((k) => k === 'OK' || k.endsWith('@resolver'));
        let shrinking = false;
        let tried = 0;
        const skip = () => {
          const now = Date.now();
          if (shrinking) return now > deadline;
          if (tried >= RUNS && reached()) return true;
          return now > deadline && (reached() || now > lastChance);
        };
        await fc.assert(
          fc.asyncProperty(argumentsArbitrary(field, context(orgCodes, accountNos)), async (variables) => {
            if (skip()) return;
            tried++;
            try {
              await check(field, query, variables);
            } catch (error) {
              if (!shrinking) deadline = Date.now() + SHRINK_MS;
              shrinking = true;
              throw error;
            }
          }),
          { numRuns: 10 * RUNS, seed: SEED, verbose: 1 },
        );
        // The fuzzer is still an administrator who can repair the rules: no input may lock every
        // administrator out.
        const rules = await post(
          `{ me { id role } rolePermissions(role: ADMIN) { action subject fields inverted scope } }`,
          {},
        );
        expect(rules.body?.errors, `admin locked out after ${field.name}`).toBeUndefined();
        const again = await post(
          `mutation($r: [PermissionRuleInput!]!) { setRolePermissions(input: { role: ADMIN, rules: $r }) { role } }`,
          { r: (rules.body!.data as { rolePermissions: unknown[] }).rolePermissions },
        );
        expect(again.body?.errors, `admin cannot change the rules after ${field.name}`).toBeUndefined();
        before = undefined;
      },
    );
  }

  it('reached every mutation past GraphQL coercion', () => {
    const summary = [...stats].map(([m, o]) => `${m}: ${[...o].map(([k, n]) => `${k}=${n}`).join(' ')}`);
    console.log(`fuzzed mutations (seed ${SEED ?? 'random'}):\n${summary.join('\n')}`);
    const unreached = mutations
      .map((f) => f.name)
      .filter((m) => ![...(stats.get(m)?.keys() ?? [])].some((k) => k === 'OK' || k.endsWith('@resolver')));
    expect(unreached).toEqual([]);
  });
});
