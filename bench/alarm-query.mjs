// `npm run bench:alarm-query`: the `alarms` root query at a million alarms. Latency and throughput of
// typical alarm-list requests (first pages, filters, a deep page, totalCount), sent over HTTP with
// real tokens by an admin and by a station manager, and the EXPLAIN ANALYZE of the SQL they run.
//
//   1. compiles the server (tsc -p tsconfig.build.json -> dist/)
//   2. creates a fresh database with the bench archive (bench/seed.mjs: 10 supply stations, 400
//      transformer areas, 100,000 meters) and inserts BENCH_ALARMS alarms with one SQL statement
//      (generate_series), then VACUUM ANALYZE
//   3. starts the server in a forked child (bench/metergraph-server.mjs), logs in as the admin,
//      creates a station manager for the first supply station and logs in as them
//   4. per query: checks the first page against the same page computed in SQL, records the SQL
//      statements of one request, then runs autocannon with 1 connection (latency) and with
//      BENCH_CONNECTIONS connections (throughput)
//   5. EXPLAIN (ANALYZE, BUFFERS) of every recorded statement, written to the results file
//   6. drops the database, writes bench/results/alarm-query-<time>.json and prints the tables
//
// Environment (all optional):
//   BENCH_ALARMS=1000000   alarms to insert                BENCH_DURATION=10  seconds per pass and query
//   BENCH_CONNECTIONS=4    connections of the throughput pass   BENCH_WARMUP=2  seconds of warm-up per query
//   BENCH_QUERIES=...      comma-separated query names (default: all)
//   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432    BENCH_DB=mg_bench_alarm_query
//   BENCH_KEEP_DB=1        keep the database at the end, and reuse it if it already holds the alarms
//   BENCH_SKIP_BUILD=1     use dist/ as it is
import os from 'node:os';
import { join, relative } from 'node:path';
import {
  BENCH_ADMIN,
  BENCH_DIR,
  backgroundCpu,
  benchDatabase,
  benchLog,
  compile,
  cpuBusy,
  cpuInfo,
  databaseComment,
  dropDatabase,
  exitOnSignals,
  forkServer,
  formatNumber,
  formatShare,
  graphql,
  loadTest,
  login,
  machineLine,
  packageVersion,
  postgresVersion,
  ROOT,
  runMain,
  serverEnv,
  setDatabaseComment,
  settledStats,
  sourceInfo,
  withClient,
  writeResults,
} from './lib.mjs';
import { seed, SEED_MARKER } from './seed.mjs';

const settings = {
  alarms: Number(process.env.BENCH_ALARMS ?? 1_000_000),
  duration: Number(process.env.BENCH_DURATION ?? 10),
  warmup: Number(process.env.BENCH_WARMUP ?? 2),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 4),
  keepDb: process.env.BENCH_KEEP_DB === '1',
  poolMax: 10,
  pageSize: 50,
  /** Position (1-based, newest first over all alarms) of the row the deep page's cursor points at. */
  deepPosition: 500_000,
};
const db = benchDatabase({ ...process.env, BENCH_DB: process.env.BENCH_DB ?? 'mg_bench_alarm_query' });
const MANAGER = { username: 'benchmanager', password: 'bench-password-2' };
/** The first supply station of the bench archive (bench/seed.mjs), and its materialised path. */
const STATION = { id: 3, code: 'BENCH-S01', path: '/1/2/3/' };
const ALARM_MARKER = (n) => `${SEED_MARKER}; ${n} alarms`;
const log = benchLog('alarm-query');

// --- Alarms ------------------------------------------------------------------------------------

/** Share of each type in percent (sums to 100): collection failures dominate, cover openings are rare. */
const TYPE_WEIGHTS = {
  COMMUNICATION_FAILURE: 22,
  METER_OFFLINE: 14,
  READING_FAILURE: 12,
  POWER_OFF: 10,
  POWER_ON: 10,
  CLOCK_DEVIATION: 8,
  VOLTAGE_LOSS: 4,
  CURRENT_LOSS: 3,
  PHASE_IMBALANCE: 3,
  ENERGY_OVER_DEVIATION: 3,
  REVERSE_ENERGY: 2,
  STOPPED_METER: 2,
  TERMINAL_COVER_OPEN: 2,
  REGISTER_DECREASE: 1,
  FLYING_METER: 1,
  METER_COVER_OPEN: 1,
  UNKNOWN_METER: 1,
  WRONG_TRANSFORMER_AREA: 1,
};
const CLEARABLE = ['COMMUNICATION_FAILURE', 'READING_FAILURE', 'METER_OFFLINE'];

/**
 * One INSERT ... SELECT of `count` alarms, reproducible for a given `now` (hashes of the row number
 * instead of random()):
 * - meters uniformly over all meters (so over all stations and areas), the alarm's unit is the meter's;
 * - types by TYPE_WEIGHTS, severity by type as the alarm raiser assigns it;
 * - lastAt uniformly over the 90 days before `now`, in whole milliseconds like the server writes;
 *   0-5 repeats 15 minutes apart before it;
 * - status by age: raised in the last 2 days 45 % OPEN, 20 % ACKNOWLEDGED; older ones 3 % OPEN,
 *   2 % ACKNOWLEDGED; the rest CLEARED (collection failures, which clear by themselves) or CLOSED.
 *   Only one alarm per (meter, type) may be active (alarm_active_uq): older duplicates are CLOSED;
 * - rows inserted in order of firstAt, as the server inserts them.
 */
function alarmInsert(count, severity) {
  const types = Object.entries(TYPE_WEIGHTS).flatMap(([type, w]) => Array(w).fill(type));
  if (types.length !== 100) throw new Error('TYPE_WEIGHTS must sum to 100');
  const list = (xs) => `array[${xs.map((x) => `'${x}'`).join(',')}]`;
  const u = (k) => `(hashint8extended(n, ${k}) & 2147483647) / 2147483648.0`;
  const clearable = `(${CLEARABLE.map((t) => `'${t}'`).join(',')})`;
  const resolved = `case when t.type in ${clearable} then 'CLEARED' else 'CLOSED' end`;
  return {
    text: `
insert into alarm (type, severity, status, meter_id, org_unit_id, message, first_at, last_at, count,
                   acknowledged_at, cleared_at, closed_at)
with g as (
  select n,
         1 + (hashint8extended(n, 1) & 2147483647) % (select count(*) from meter) as meter_id,
         (${list(types)})[1 + floor(${u(2)} * 100)::int] as type,
         date_trunc('milliseconds', $1::timestamptz - ${u(3)} * interval '90 days') as last_at,
         ${u(4)} as u_status,
         (hashint8extended(n, 5) & 2147483647) % 6 as repeats
    from generate_series(0, $2::int - 1) n
), s as (
  select t.*,
         case when t.last_at > $1::timestamptz - interval '2 days' then
                case when u_status < 0.45 then 'OPEN' when u_status < 0.65 then 'ACKNOWLEDGED' else ${resolved} end
              else
                case when u_status < 0.03 then 'OPEN' when u_status < 0.05 then 'ACKNOWLEDGED' else ${resolved} end
         end as status0
    from g t
), d as (
  select s.*,
         case when status0 in ('OPEN', 'ACKNOWLEDGED')
                   and row_number() over (partition by meter_id, type, status0 in ('OPEN', 'ACKNOWLEDGED')
                                          order by last_at desc) > 1
              then 'CLOSED' else status0 end as status
    from s
)
select d.type, ($3::jsonb ->> d.type), d.status, m.id, m.org_unit_id,
       'Meter ' || m.asset_no || ': ' || lower(replace(d.type, '_', ' ')),
       d.last_at - d.repeats * interval '15 minutes', d.last_at, 1 + d.repeats,
       case when d.status = 'ACKNOWLEDGED' then d.last_at + interval '40 minutes' end,
       case when d.status = 'CLEARED' then d.last_at + interval '15 minutes' end,
       case when d.status = 'CLOSED' then d.last_at + interval '6 hours' end
  from d join meter m on m.id = d.meter_id
 order by d.last_at - d.repeats * interval '15 minutes', d.meter_id`,
    values: [null, count, JSON.stringify(severity)],
  };
}

// --- Queries -----------------------------------------------------------------------------------

const SELECTION = `edges { cursor node { id type severity status message firstAt lastAt count orgUnit { code } meter { assetNo } } }
    pageInfo { hasNextPage endCursor }`;
const encodeCursor = (values) => Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
const stationScope = `exists (select 1 from org_unit o where o.id = a.org_unit_id and o.path like '${STATION.path}%')`;

/**
 * The queries. `sql` computes the expected first page (ids, newest first) and `count` the expected
 * totalCount, to check the server's answers; `ctx` holds what the setup found (now, deep cursor).
 */
const QUERIES = [
  {
    name: 'admin-newest',
    title: 'admin: first page, no filter (the default list)',
    user: 'admin',
    graphql: () => `{ alarms(first: ${settings.pageSize}) { ${SELECTION} } }`,
    sql: () => `select id from alarm a order by last_at desc, id desc limit ${settings.pageSize}`,
  },
  {
    name: 'admin-open',
    title: 'admin: first page of OPEN alarms',
    user: 'admin',
    graphql: () => `{ alarms(first: ${settings.pageSize}, filter: { statuses: [OPEN] }) { ${SELECTION} } }`,
    sql: () => `select id from alarm a where status = 'OPEN' order by last_at desc, id desc limit ${settings.pageSize}`,
  },
  {
    name: 'manager-open',
    title: `station manager (${STATION.code} subtree): first page of OPEN alarms`,
    user: 'manager',
    graphql: () => `{ alarms(first: ${settings.pageSize}, filter: { statuses: [OPEN] }) { ${SELECTION} } }`,
    sql: () =>
      `select id from alarm a where status = 'OPEN' and ${stationScope} order by last_at desc, id desc limit ${settings.pageSize}`,
  },
  {
    name: 'manager-newest',
    title: `station manager (${STATION.code} subtree): first page, no filter`,
    user: 'manager',
    graphql: () => `{ alarms(first: ${settings.pageSize}) { ${SELECTION} } }`,
    sql: () => `select id from alarm a where ${stationScope} order by last_at desc, id desc limit ${settings.pageSize}`,
  },
  {
    name: 'admin-type-time',
    title: 'admin: types VOLTAGE_LOSS + CURRENT_LOSS, 7 days a month ago',
    user: 'admin',
    graphql: (ctx) =>
      `{ alarms(first: ${settings.pageSize}, filter: { types: [VOLTAGE_LOSS, CURRENT_LOSS], from: "${ctx.from}", to: "${ctx.to}" }) { ${SELECTION} } }`,
    sql: (ctx) =>
      `select id from alarm a where type in ('VOLTAGE_LOSS', 'CURRENT_LOSS') and last_at >= '${ctx.from}' and last_at < '${ctx.to}'
        order by last_at desc, id desc limit ${settings.pageSize}`,
  },
  {
    name: 'manager-type-time',
    title: `station manager: types VOLTAGE_LOSS + CURRENT_LOSS, 7 days a month ago`,
    user: 'manager',
    graphql: (ctx) =>
      `{ alarms(first: ${settings.pageSize}, filter: { types: [VOLTAGE_LOSS, CURRENT_LOSS], from: "${ctx.from}", to: "${ctx.to}" }) { ${SELECTION} } }`,
    sql: (ctx) =>
      `select id from alarm a where type in ('VOLTAGE_LOSS', 'CURRENT_LOSS') and last_at >= '${ctx.from}' and last_at < '${ctx.to}'
        and ${stationScope} order by last_at desc, id desc limit ${settings.pageSize}`,
  },
  {
    name: 'admin-deep-page',
    title: `admin: page after the ${settings.deepPosition.toLocaleString('en-US')}th alarm (\`after\` cursor), no filter`,
    user: 'admin',
    graphql: (ctx) => `{ alarms(first: ${settings.pageSize}, after: "${ctx.deepCursor}") { ${SELECTION} } }`,
    sql: () =>
      `select id from alarm a order by last_at desc, id desc offset ${settings.deepPosition} limit ${settings.pageSize}`,
  },
  {
    name: 'admin-open-count',
    title: 'admin: first page of OPEN alarms with totalCount',
    user: 'admin',
    graphql: () => `{ alarms(first: ${settings.pageSize}, filter: { statuses: [OPEN] }) { totalCount ${SELECTION} } }`,
    sql: () => `select id from alarm a where status = 'OPEN' order by last_at desc, id desc limit ${settings.pageSize}`,
    count: () => `select count(*)::int as n from alarm a where status = 'OPEN'`,
  },
  {
    name: 'manager-open-count',
    title: 'station manager: first page of OPEN alarms with totalCount',
    user: 'manager',
    graphql: () => `{ alarms(first: ${settings.pageSize}, filter: { statuses: [OPEN] }) { totalCount ${SELECTION} } }`,
    sql: () =>
      `select id from alarm a where status = 'OPEN' and ${stationScope} order by last_at desc, id desc limit ${settings.pageSize}`,
    count: () => `select count(*)::int as n from alarm a where status = 'OPEN' and ${stationScope}`,
  },
  {
    name: 'admin-count',
    title: 'admin: first page, no filter, with totalCount (all alarms)',
    user: 'admin',
    graphql: () => `{ alarms(first: ${settings.pageSize}) { totalCount ${SELECTION} } }`,
    sql: () => `select id from alarm a order by last_at desc, id desc limit ${settings.pageSize}`,
    count: () => `select count(*)::int as n from alarm a`,
  },
];

// --- Plumbing ----------------------------------------------------------------------------------

exitOnSignals();

async function prepareDatabase() {
  if (settings.keepDb && (await databaseComment(db)) === ALARM_MARKER(settings.alarms)) {
    log(`${db.name} already holds the archive and ${settings.alarms} alarms (BENCH_KEEP_DB=1): reused`);
    // The server applies migrations added since at its start; analyze afterwards.
    return { reused: true };
  }
  await seed(db, (m) => log(m));
  const { SEVERITY } = await import(join(ROOT, 'dist/src/collectors/alarms/alarm-raiser.js'));
  return withClient(db.url, async (c) => {
    const started = Date.now();
    const insert = alarmInsert(settings.alarms, SEVERITY);
    insert.values[0] = new Date();
    log(`inserting ${settings.alarms} alarms`);
    await c.query(insert.text, insert.values);
    await c.query(`select setval(pg_get_serial_sequence('alarm', 'id'), (select max(id) from alarm))`);
    const insertSeconds = (Date.now() - started) / 1000;
    log(`inserted in ${insertSeconds.toFixed(1)} s; vacuum analyze`);
    await c.query('vacuum (analyze) alarm');
    await setDatabaseComment(db, ALARM_MARKER(settings.alarms));
    return { reused: false, insertSeconds };
  });
}

async function describeData() {
  return withClient(db.url, async (c) => {
    const one = async (text) => (await c.query(text)).rows;
    return {
      alarms: (await one(`select count(*)::int as n from alarm`))[0].n,
      byStatus: Object.fromEntries(
        (await one(`select status, count(*)::int as n from alarm group by 1 order by 1`)).map((r) => [r.status, r.n]),
      ),
      station: (
        await one(`select count(*)::int as n, count(*) filter (where status = 'OPEN')::int as open
                     from alarm a where ${stationScope}`)
      )[0],
      span: (await one(`select min(last_at) as oldest, max(last_at) as newest from alarm`))[0],
      tableSize: (await one(`select pg_size_pretty(pg_total_relation_size('alarm')) as s`))[0].s,
      indexes: (
        await one(`select indexname as name, pg_size_pretty(pg_relation_size(indexname::regclass)) as size, indexdef as definition
                     from pg_indexes where tablename = 'alarm' order by 1`)
      ).map((r) => ({ name: r.name, size: r.size, definition: r.definition })),
    };
  });
}

/** EXPLAIN (ANALYZE, BUFFERS) of a recorded statement, three times: the median execution time and the last plan. */
async function explain(client, statement) {
  const runs = [];
  let plan = '';
  for (let i = 0; i < 3; i++) {
    const r = await client.query(`explain (analyze, buffers) ${statement.text}`, statement.values);
    plan = r.rows.map((row) => row['QUERY PLAN']).join('\n');
    runs.push({
      execution: Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1]),
      planning: Number(/Planning Time: ([\d.]+) ms/.exec(plan)?.[1]),
    });
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    executionMs: median(runs.map((r) => r.execution)),
    planningMs: median(runs.map((r) => r.planning)),
    plan,
  };
}

// --- Main --------------------------------------------------------------------------------------

const fmt = (n, digits = 1) => formatNumber(n, digits);

async function benchQuery(q, { url, tokens, ctx, server }) {
  const token = tokens[q.user];
  const query = q.graphql(ctx);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const body = JSON.stringify({ query });

  // The answer must be the page SQL computes (and the count, when asked for).
  await graphql(url, token, query); // first request: loaders, plan caches
  await settledStats(server, 120); // requests of the previous query's load pass may still be running
  await server.traceStart();
  const statsBefore = await server.stats();
  const data = await graphql(url, token, query);
  const statsAfter = await server.stats();
  const statements = await server.traceStop();
  const got = data.alarms.edges.map((e) => Buffer.from(e.node.id, 'base64url').toString('utf8').split(':').pop());
  const expected = await withClient(db.url, async (c) => ({
    ids: (await c.query(q.sql(ctx))).rows.map((r) => String(r.id)),
    count: q.count ? (await c.query(q.count())).rows[0].n : undefined,
  }));
  if (JSON.stringify(got) !== JSON.stringify(expected.ids))
    throw new Error(
      `${q.name}: the page differs from SQL's (${got.slice(0, 3)}... against ${expected.ids.slice(0, 3)}...)`,
    );
  if (q.count && data.alarms.totalCount !== expected.count)
    throw new Error(`${q.name}: totalCount ${data.alarms.totalCount}, SQL counts ${expected.count}`);
  if (got.length !== settings.pageSize) throw new Error(`${q.name}: ${got.length} alarms on the page`);

  const options = { url, method: 'POST', headers, body, pipelining: 1, timeout: 30 };
  if (settings.warmup > 0) await loadTest({ ...options, connections: 1, duration: settings.warmup });
  const pass = async (connections) => {
    const cpus = os.cpus();
    const s0 = await server.stats();
    const r = await loadTest({ ...options, connections, duration: settings.duration });
    const busy = cpuBusy(cpus, os.cpus());
    const s1 = await settledStats(server, 120);
    const served = s1.requests - s0.requests;
    return {
      connections,
      requestsPerSecond: r.requests.average,
      requests: r.requests.total,
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      failed: r.errors + r.timeouts + r.non2xx,
      serverCpuMsPerRequest: served ? (s1.cpuMs - s0.cpuMs) / served : null,
      machineCpuBusy: busy,
    };
  };
  log(`${q.name}: 1 connection, ${settings.duration} s`);
  const latency = await pass(1);
  log(`${q.name}: ${settings.connections} connections, ${settings.duration} s`);
  const load = await pass(settings.connections);
  return {
    name: q.name,
    title: q.title,
    user: q.user,
    graphql: query,
    totalCount: q.count ? data.alarms.totalCount : undefined,
    statementsPerRequest: statsAfter.statements - statsBefore.statements,
    statements,
    latency,
    load,
  };
}

async function main() {
  const startedAt = new Date();
  const unknown = (process.env.BENCH_QUERIES ?? '')
    .split(',')
    .filter(Boolean)
    .filter((n) => !QUERIES.some((q) => q.name === n));
  if (unknown.length) throw new Error(`BENCH_QUERIES: unknown ${unknown.join(', ')}`);
  const chosen = process.env.BENCH_QUERIES
    ? QUERIES.filter((q) => process.env.BENCH_QUERIES.split(',').includes(q.name))
    : QUERIES;

  compile(log);
  const prepared = await prepareDatabase();

  log('starting the server');
  const server = forkServer(
    join(BENCH_DIR, 'metergraph-server.mjs'),
    serverEnv(db, settings.poolMax, { JWT_ACCESS_TTL: '7200' }),
    { readyTimeoutMs: 180_000 },
  );
  const results = [];
  let data;
  let background;
  let plans = [];
  try {
    const { url } = await server.ready;
    // The server's first start applies migrations that are newer than the database: analyze after it.
    await withClient(db.url, (c) => c.query('analyze alarm'));
    data = await describeData();
    const tokens = { admin: await login(url, BENCH_ADMIN) };
    const managerExists = await withClient(
      db.url,
      async (c) => (await c.query(`select 1 from app_user where username = $1`, [MANAGER.username])).rowCount > 0,
    );
    if (!managerExists) {
      await graphql(
        url,
        tokens.admin,
        `
          mutation ($input: CreateUserInput!) {
            createUser(input: $input) {
              user {
                id
              }
            }
          }
        `,
        {
          input: {
            ...MANAGER,
            displayName: 'Bench station manager',
            role: 'STATION_MANAGER',
            orgUnitId: Buffer.from(`OrgUnit:${STATION.id}`).toString('base64url'),
          },
        },
      );
    }
    tokens.manager = await login(url, MANAGER);

    // Setup for the queries: the time window and the deep page's cursor.
    const ctx = await withClient(db.url, async (c) => {
      const newest = (await c.query(`select max(last_at) as t from alarm`)).rows[0].t;
      const from = new Date(newest.getTime() - 30 * 86_400_000).toISOString();
      const to = new Date(newest.getTime() - 23 * 86_400_000).toISOString();
      const deep = (
        await c.query(`select last_at, id from alarm order by last_at desc, id desc offset $1 limit 1`, [
          settings.deepPosition - 1,
        ])
      ).rows[0];
      return { from, to, deepCursor: encodeCursor([deep.last_at.toISOString(), String(deep.id)]) };
    });
    // The cursor format must be the server's own: compare with a cursor it hands out.
    const sample = await graphql(
      url,
      tokens.admin,
      `
        {
          alarms(first: 1) {
            pageInfo {
              endCursor
            }
          }
        }
      `,
    );
    const [sampleAt, sampleId] = JSON.parse(Buffer.from(sample.alarms.pageInfo.endCursor, 'base64url').toString());
    if (typeof sampleAt !== 'string' || typeof sampleId !== 'string')
      throw new Error(`unexpected cursor format ${sample.alarms.pageInfo.endCursor}`);

    background = await backgroundCpu(log);
    for (const q of chosen) results.push(await benchQuery(q, { url, tokens, ctx, server }));

    log('EXPLAIN ANALYZE of the recorded statements');
    plans = await withClient(db.url, async (c) => {
      const out = [];
      for (const r of results) {
        for (const [i, statement] of r.statements.entries()) {
          if (!/^\s*select/i.test(statement.text) || !/"alarm"/.test(statement.text)) continue;
          out.push({
            query: r.name,
            statement: i,
            text: statement.text,
            values: statement.values,
            ...(await explain(c, statement)),
          });
        }
      }
      return out;
    });
  } finally {
    await server.stop();
    if (!settings.keepDb) {
      log(`dropping ${db.name}`);
      await dropDatabase(db);
    }
  }

  const report = {
    benchmark: 'alarm-query: the alarms root query at a million alarms',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings: { ...settings, database: db.name },
    machine: {
      ...cpuInfo(),
      node: process.version,
      postgres: await postgresVersion(db.adminUrl),
      backgroundCpuBusyBefore: background,
    },
    source: sourceInfo(['src', 'migrations']),
    versions: { autocannon: packageVersion('autocannon'), '@mikro-orm/core': packageVersion('@mikro-orm/core') },
    data: { ...data, prepared },
    results: results.map(({ statements, ...r }) => ({
      ...r,
      statements: statements.map((s) => ({
        ...s,
        explain: plans.find((p) => p.query === r.name && p.text === s.text) ?? null,
      })),
    })),
  };
  const file = writeResults('alarm-query', startedAt, report);

  const sqlMs = (r) =>
    plans
      .filter((p) => p.query === r.name)
      .map((p) => fmt(p.executionMs, 2))
      .join(' + ') || 'n/a';
  console.log(`
alarms root query, ${fmt(data.alarms, 0)} alarms (${Object.entries(data.byStatus)
    .map(([s, n]) => `${s} ${fmt(n, 0)}`)
    .join(', ')}); station ${STATION.code}: ${fmt(data.station.n, 0)} (${fmt(data.station.open, 0)} OPEN)
${settings.duration} s per pass; ${machineLine(report.machine)}; machine ${formatShare(background)} busy before

| Query | 1 conn: req/s | p50 ms | p99 ms | ${settings.connections} conn: req/s | p50 ms | p99 ms | server CPU ms/req | SQL stmts | alarm SQL exec ms (EXPLAIN ANALYZE) | failed |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${results
  .map(
    (r) =>
      `| ${r.title} | ${fmt(r.latency.requestsPerSecond)} | ${fmt(r.latency.latencyMs.p50, 0)} | ${fmt(r.latency.latencyMs.p99, 0)} | ${fmt(r.load.requestsPerSecond)} | ${fmt(r.load.latencyMs.p50, 0)} | ${fmt(r.load.latencyMs.p99, 0)} | ${fmt(r.latency.serverCpuMsPerRequest, 1)} | ${r.statementsPerRequest} | ${sqlMs(r)} | ${r.latency.failed + r.load.failed} |`,
  )
  .join('\n')}
`);
  const slowest = [...plans].sort((a, b) => b.executionMs - a.executionMs).slice(0, 3);
  for (const p of slowest) console.log(`-- ${p.query} (${fmt(p.executionMs, 2)} ms)\n${p.plan}\n`);
  log(`results written to ${relative(ROOT, file)}`);
  if (results.some((r) => r.latency.failed + r.load.failed)) process.exitCode = 1;
}

await runMain('alarm-query', main, { stack: true });
