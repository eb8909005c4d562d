// `npm run bench:settlement`: a settlement run for BENCH_CUSTOMERS customers with daily frozen
// readings, on PostgreSQL. Wall time, the server's peak memory and CPU time, against a single SQL
// aggregate of the same energies in the same run, which also cross-checks every bill's kWh.
//
//   1. compiles the server (tsc -p tsconfig.build.json -> dist/)
//   2. creates a fresh database with the bench archive (bench/seed.mjs: 10 supply stations, 400
//      transformer areas, BENCH_CUSTOMERS meters, customers, service points and assignments), then
//      with SQL (generate_series): billing days 1-28, categories (85 % residential, 10 % commercial
//      with CT ratio 20, 5 % agricultural), the demo's default tariffs (src/demo/tariffs.ts), and the
//      frozen values (total and T1-T4) at every local midnight of the period's cycles and on 1 January
//      (the annual tier count), increasing; VACUUM ANALYZE
//   3. starts the server in a forked child, logs in as the admin and runs runSettlement for the
//      bureau and BENCH_PERIOD; polls settlementRun every 250 ms until it has finished
//   4. the same energies with one SQL statement (per customer: end value - start value of the total
//      register at the cycle's two local midnights, times the multiplier, summed over its service
//      points; and the total), compared with every bill's total_kwh
//   5. the same run again (the drafts are recomputed in place)
//   6. drops the database, writes bench/results/settlement-<time>.json and prints the table
//
// Environment (all optional):
//   BENCH_CUSTOMERS=100000  customers (a multiple of 400: the transformer areas)
//   BENCH_PERIOD=2026-10    month in which the cycles close (must be over: every cycle closed)
//   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432    BENCH_DB=mg_bench_settlement
//   BENCH_KEEP_DB=1         keep the database at the end, and reuse it if it holds this data set
//                           (earlier bills and runs are deleted first)
//   BENCH_SKIP_BUILD=1      use dist/ as it is
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
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
  login,
  machineLine,
  postgresVersion,
  ROOT,
  runMain,
  serverEnv,
  sourceInfo,
  withClient,
  writeResults,
} from './lib.mjs';
import { LAYOUT, seed, seedMarker } from './seed.mjs';

const AREAS = LAYOUT.stations * LAYOUT.areasPerStation;
const settings = {
  customers: Number(process.env.BENCH_CUSTOMERS ?? 100_000),
  period: process.env.BENCH_PERIOD ?? '2026-10',
  keepDb: process.env.BENCH_KEEP_DB === '1',
  timeZone: 'Asia/Shanghai',
  poolMax: 10,
  pollMs: 250,
};
if (!Number.isInteger(settings.customers) || settings.customers <= 0 || settings.customers % AREAS)
  throw new Error(`BENCH_CUSTOMERS must be a positive multiple of ${AREAS} (the transformer areas)`);
if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(settings.period)) throw new Error('BENCH_PERIOD must be YYYY-MM');
const db = benchDatabase({ ...process.env, BENCH_DB: process.env.BENCH_DB ?? 'mg_bench_settlement' });
const layout = { ...LAYOUT, metersPerArea: settings.customers / AREAS, readingsPerMeter: 0 };
/** The bureau of the bench archive: every customer is under it. */
const BUREAU_ID = 2;
const log = benchLog('settlement');

// --- Dates -------------------------------------------------------------------------------------

/** YYYY-MM-DD of year, month (1-12, may be 0 or 13) and day, in UTC. */
const isoDate = (year, month, day) => new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
const dayNumber = (date) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

/**
 * The days that hold frozen values: every day from the earliest cycle start (day 1 of the previous
 * month) to the latest cycle end (day 28 of the period's month), and 1 January of the earliest
 * cycle's year, where an annual tier count starts. `day` counts from that 1 January (day 0), which
 * the value formula uses.
 */
function readingDays(period) {
  const [year, month] = period.split('-').map(Number);
  const first = isoDate(year, month - 1, 1);
  const last = isoDate(year, month, 28);
  const yearStart = `${first.slice(0, 4)}-01-01`;
  return {
    first,
    last,
    yearStart,
    from: dayNumber(first) - dayNumber(yearStart),
    to: dayNumber(last) - dayNumber(yearStart),
  };
}
const days = readingDays(settings.period);
const registersPerDay = 5;
const dayCount = days.to - days.from + 1 + (days.from > 0 ? 1 : 0);
const MARKER = `${seedMarker(layout)}; settlement v1: ${settings.period}, ${dayCount} days x ${registersPerDay} registers`;

// --- Seed --------------------------------------------------------------------------------------

/**
 * The settlement data on top of the archive (meter n = customer n = service point n), in the seed's
 * transaction. Register k (T1..T4) of meter m on day d (from 1 January) holds
 *   10 k + m % 100 + d r_k(m) + floor(d / 7) w_k(m)
 * with daily rates of 0.5-1.5, 2-5, 1.5-4 and 2.5-8.5 kWh and a weekly step of 0-1.5 kWh per band
 * (6.5-19 kWh a day in all: residential annual counts cross the first tier, 2760 kWh, during the
 * year); the total register is the sum of the four. Values are exact with 2 decimals.
 */
async function seedSettlement(c, say) {
  const started = Date.now();
  await c.query(`update customer set billing_day = 1 + (id - 1) % 28,
                   category = case when (hashint4(id) & 2147483647) % 100 < 85 then 'RESIDENTIAL'
                                   when (hashint4(id) & 2147483647) % 100 < 95 then 'COMMERCIAL'
                                   else 'AGRICULTURAL' end`);
  await c.query(`update meter m set ct_ratio = 20 from customer c where c.id = m.id and c.category = 'COMMERCIAL'`);
  const { DEMO_TARIFFS } = await import(join(ROOT, 'dist/src/demo/tariffs.js'));
  for (const t of DEMO_TARIFFS) {
    const { rows } = await c.query(
      `insert into tariff (code, name, customer_category, is_default, tier_basis) values ($1, $2, $3, true, $4) returning id`,
      [t.code, t.name, t.customerCategory, t.tierBasis],
    );
    for (const v of t.versions)
      await c.query(`insert into tariff_version (tariff_id, effective_from, terms) values ($1, $2, $3)`, [
        rows[0].id,
        v.effectiveFrom,
        JSON.stringify(v.terms),
      ]);
  }
  say(`seed: ${DEMO_TARIFFS.length} default tariffs; inserting ${dayCount} x ${registersPerDay} values per meter`);
  // Every row is consistent by construction: skip the per-row foreign key triggers of this insert.
  await c.query(`set local session_replication_role = replica`);
  await c.query(
    `insert into reading (meter_id, register, value, measured_at, received_at, source, quality)
     select m, r.code, r.value, t.at, t.at + interval '5 minutes', 'AUTOMATIC', 'GOOD'
       from generate_series(1, $1::int) m
      cross join lateral (
        select d, (date '${days.yearStart}' + d)::timestamp at time zone '${settings.timeZone}' as at
          from (select 0 as d union all select generate_series($2::int, $3::int)) g) t
      cross join lateral (
        select 10 + m % 100 + t.d * (0.50 + (m % 5) * 0.25) + (t.d / 7) * ((m + 1) % 3) * 0.75 as b1,
               20 + m % 100 + t.d * (2.00 + (m % 7) * 0.50) + (t.d / 7) * ((m + 2) % 3) * 0.75 as b2,
               30 + m % 100 + t.d * (1.50 + (m % 11) * 0.25) + (t.d / 7) * ((m + 3) % 3) * 0.75 as b3,
               40 + m % 100 + t.d * (2.50 + (m % 13) * 0.50) + (t.d / 7) * ((m + 4) % 3) * 0.75 as b4) b
      cross join lateral (values ('FORWARD_ACTIVE_TOTAL', b.b1 + b.b2 + b.b3 + b.b4), ('FORWARD_ACTIVE_T1', b.b1),
                                 ('FORWARD_ACTIVE_T2', b.b2), ('FORWARD_ACTIVE_T3', b.b3), ('FORWARD_ACTIVE_T4', b.b4)) r(code, value)`,
    [settings.customers, Math.max(days.from, 1), days.to],
  );
  await c.query(`set local session_replication_role = origin`);
  say(`seed: settlement data in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function prepareDatabase() {
  if (settings.keepDb && (await databaseComment(db)) === MARKER) {
    log(`${db.name} already holds this data set (BENCH_KEEP_DB=1): reused, earlier bills and runs deleted`);
    await withClient(db.url, async (c) => {
      await c.query('truncate bill_line, bill, settlement_run');
      await c.query('vacuum (analyze) bill, bill_line, settlement_run');
    });
    return { reused: true };
  }
  const started = Date.now();
  await seed(db, (m) => log(m), { layout, more: seedSettlement, marker: MARKER });
  return { reused: false, seedSeconds: (Date.now() - started) / 1000 };
}

async function describeData() {
  return withClient(db.url, async (c) => {
    const one = async (text, params) => (await c.query(text, params)).rows;
    return {
      customers: (await one(`select count(*)::int as n from customer`))[0].n,
      byCategory: Object.fromEntries(
        (await one(`select category, count(*)::int as n from customer group by 1 order by 1`)).map((r) => [
          r.category,
          r.n,
        ]),
      ),
      servicePoints: (await one(`select count(*)::int as n from service_point`))[0].n,
      readings: (await one(`select count(*)::int as n from reading`))[0].n,
      readingDays: { from: days.first, to: days.last, yearStart: days.yearStart, count: dayCount },
      tariffs: (await one(`select code from tariff where is_default order by code`)).map((r) => r.code),
      databaseSize: (await one(`select pg_size_pretty(pg_database_size(current_database())) as s`))[0].s,
      readingTableSize: (await one(`select pg_size_pretty(pg_total_relation_size('reading')) as s`))[0].s,
    };
  });
}

// --- Server memory -----------------------------------------------------------------------------

/** VmRSS and VmHWM (peak) of a process, in MiB, from /proc/<pid>/status. */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/** Resets the peak resident set of a process to its current size (Linux: clear_refs 5); false when refused. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

// --- The runs ----------------------------------------------------------------------------------

const RUN_FIELDS = `id status customerCount processedCount billedCount unchangedCount failedCount
  failures { accountNo code reason } totalKwh totalAmount startedAt finishedAt`;

/**
 * One settlement run of the bureau, timed from sending the mutation until a poll sees it finished;
 * the server's CPU time and peak memory over the same span, and what it wrote.
 */
async function settle(label, { url, token, server }) {
  const pid = server.pid;
  const memoryBefore = memoryOf(pid);
  const peakReset = resetPeak(pid);
  const stats0 = await server.stats();
  const cpus = os.cpus();
  const t0 = performance.now();
  const started = await graphql(
    url,
    token,
    `
      mutation ($input: RunSettlementInput!) {
        runSettlement(input: $input) {
          run {
            id
            status
          }
        }
      }
    `,
    { input: { orgUnitId: Buffer.from(`OrgUnit:${BUREAU_ID}`).toString('base64url'), period: settings.period } },
  );
  const mutationMs = performance.now() - t0;
  const id = started.runSettlement.run.id;
  let run;
  let polls = 0;
  for (;;) {
    run = (await graphql(url, token, `query ($id: ID!) { settlementRun(id: $id) { ${RUN_FIELDS} } }`, { id }))
      .settlementRun;
    polls++;
    if (run.status !== 'RUNNING') break;
    await sleep(settings.pollMs);
  }
  const wallMs = performance.now() - t0;
  const busy = cpuBusy(cpus, os.cpus());
  const stats1 = await server.stats();
  const memoryAfter = memoryOf(pid);
  const written = await withClient(db.url, async (c) => {
    const localId = Number(Buffer.from(id, 'base64url').toString().split(':').pop());
    const r = await c.query(
      `select count(*)::int as bills, (select count(*)::int from bill_line l join bill b on b.id = l.bill_id where b.run_id = $1) as lines
         from bill where run_id = $1`,
      [localId],
    );
    return { runId: localId, ...r.rows[0] };
  });
  const serverMs = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
  log(
    `${label}: ${run.status} in ${(wallMs / 1000).toFixed(2)} s, ${run.billedCount} billed, ${run.failedCount} failed, peak ${memoryAfter.peakMiB.toFixed(0)} MiB`,
  );
  return {
    label,
    run,
    wallMs,
    mutationMs,
    serverMs,
    polls,
    customersPerSecond: run.processedCount / (wallMs / 1000),
    serverCpuMs: stats1.cpuMs - stats0.cpuMs,
    statements: stats1.statements - stats0.statements,
    machineCpuBusy: busy,
    memory: {
      rssBeforeMiB: memoryBefore.rssMiB,
      rssAfterMiB: memoryAfter.rssMiB,
      peakMiB: memoryAfter.peakMiB,
      peakIsOfThisRun: peakReset,
    },
    written,
  };
}

/**
 * The same energies in one statement: per customer, the sum over its service points' meters of
 * (total register at the cycle end's local midnight - at its start's) x CT x PT; the last row
 * (customer_id null) is the total. Timed on an open connection, rows fetched included. The two
 * values are lateral subqueries behind `offset 0`, so that each stays one probe of the (meter,
 * register, time) index: flattened, PostgreSQL 15 hashes every total value of the table for the
 * start value and walks all of a meter's values for the end value (3 to 4 times slower).
 */
const AGGREGATE = `
  with cycle as (
    select c.id,
           (make_date($1::int, $2::int, c.billing_day)::timestamp at time zone $5) as t0,
           (make_date($3::int, $4::int, c.billing_day)::timestamp at time zone $5) as t1
      from customer c where c.status = 'ACTIVE')
  select cy.id as customer_id, sum((e.value - s.value) * m.ct_ratio * m.pt_ratio)::numeric(24,8)::text as kwh
    from cycle cy
    join service_point sp on sp.customer_id = cy.id
    join meter_assignment a on a.service_point_id = sp.id and a.removed_at is null
    join meter m on m.id = a.meter_id
    cross join lateral (select r.value from reading r where r.meter_id = m.id
                           and r.register = 'FORWARD_ACTIVE_TOTAL' and r.measured_at = cy.t0 offset 0) s
    cross join lateral (select r.value from reading r where r.meter_id = m.id
                           and r.register = 'FORWARD_ACTIVE_TOTAL' and r.measured_at = cy.t1 offset 0) e
   group by grouping sets ((cy.id), ())`;

async function aggregate() {
  const [year, month] = settings.period.split('-').map(Number);
  const previous = isoDate(year, month - 1, 1);
  const params = [Number(previous.slice(0, 4)), Number(previous.slice(5, 7)), year, month, settings.timeZone];
  return withClient(db.url, async (c) => {
    const t0 = performance.now();
    const { rows } = await c.query(AGGREGATE, params);
    const ms = performance.now() - t0;
    const plan = (await c.query(`explain (analyze, buffers) ${AGGREGATE}`, params)).rows
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    const total = rows.find((r) => r.customer_id === null)?.kwh ?? null;
    const perCustomer = new Map(rows.filter((r) => r.customer_id !== null).map((r) => [r.customer_id, r.kwh]));
    return { ms, rows: perCustomer.size, total, perCustomer, plan };
  });
}

/** Customers whose draft's total_kwh differs from the aggregate's kWh (or who have no draft, or no kWh). */
async function crossCheck(perCustomer) {
  const bills = await withClient(
    db.url,
    async (c) =>
      (
        await c.query(
          `select customer_id, total_kwh::text as kwh, total_amount::text as amount from bill where period = $1 and status = 'DRAFT'`,
          [settings.period],
        )
      ).rows,
  );
  const mismatches = [];
  const seen = new Set();
  for (const b of bills) {
    seen.add(b.customer_id);
    if (perCustomer.get(b.customer_id) !== b.kwh)
      mismatches.push({ customerId: b.customer_id, bill: b.kwh, sql: perCustomer.get(b.customer_id) ?? null });
  }
  for (const [customerId, kwh] of perCustomer)
    if (!seen.has(customerId)) mismatches.push({ customerId, bill: null, sql: kwh });
  return { bills: bills.length, mismatches: mismatches.length, examples: mismatches.slice(0, 5) };
}

// --- Main --------------------------------------------------------------------------------------

exitOnSignals();

const fmt = (n, digits = 1) => formatNumber(n, digits);

async function main() {
  const startedAt = new Date();
  compile(log);
  const prepared = await prepareDatabase();

  log('starting the server');
  const server = forkServer(
    join(BENCH_DIR, 'metergraph-server.mjs'),
    serverEnv(db, settings.poolMax, { JWT_ACCESS_TTL: '7200', DEFAULT_TIME_ZONE: settings.timeZone }),
    { readyTimeoutMs: 300_000 },
  );
  let data;
  let background;
  let first;
  let sql;
  let check;
  let retry;
  let retryCheck;
  let memoryIdle;
  try {
    const { url } = await server.ready;
    // The server's first start may apply migrations newer than the database: analyze after it.
    await withClient(db.url, (c) => c.query('analyze'));
    data = await describeData();
    const token = await login(url, BENCH_ADMIN);
    memoryIdle = memoryOf(server.pid);
    background = await backgroundCpu(log);

    log(`settling ${fmt(data.customers, 0)} customers for ${settings.period}`);
    first = await settle('first run', { url, token, server });
    log('the same energies in one SQL statement');
    sql = await aggregate();
    check = await crossCheck(sql.perCustomer);
    log(`SQL aggregate: ${fmt(sql.ms, 0)} ms, ${sql.rows} customers; bills against it: ${check.mismatches} mismatches`);
    log('settling again (drafts recomputed in place)');
    retry = await settle('second run', { url, token, server });
    retryCheck = await crossCheck(sql.perCustomer);
  } finally {
    await server.stop();
    if (!settings.keepDb) {
      log(`dropping ${db.name}`);
      await dropDatabase(db);
    }
  }

  const { perCustomer: _perCustomer, ...sqlReport } = sql;
  const report = {
    benchmark: 'settlement: a settlement run against one SQL aggregate over the same data',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings: { ...settings, database: db.name },
    machine: {
      ...cpuInfo(),
      memoryGiB: os.totalmem() / 2 ** 30,
      node: process.version,
      postgres: await postgresVersion(db.adminUrl),
      backgroundCpuBusyBefore: background,
    },
    source: sourceInfo(['src', 'migrations']),
    data: { ...data, prepared },
    serverMemoryIdleMiB: memoryIdle,
    runs: [first, retry],
    sqlAggregate: sqlReport,
    crossCheck: { first: check, retry: retryCheck },
  };
  const file = writeResults('settlement', startedAt, report);

  const row = (r) =>
    `| ${r.label} | ${fmt(r.wallMs / 1000, 2)} | ${fmt(r.serverMs / 1000, 2)} | ${fmt(r.customersPerSecond, 0)} | ${fmt(r.serverCpuMs / 1000, 1)} | ${formatShare(r.machineCpuBusy)} | ${fmt(r.memory.rssBeforeMiB, 0)} | ${fmt(r.memory.peakMiB, 0)} | ${fmt(r.written.bills, 0)} / ${fmt(r.written.lines, 0)} | ${fmt(r.statements, 0)} | ${r.run.failedCount} |`;
  console.log(`
settlement of ${fmt(data.customers, 0)} customers (${Object.entries(data.byCategory)
    .map(([k, n]) => `${k} ${fmt(n, 0)}`)
    .join(', ')}) for ${settings.period}; ${fmt(data.readings, 0)} readings (${data.readingTableSize})
${machineLine(report.machine)}; machine ${formatShare(background)} busy before

| Run | wall s | server s (started -> finished) | customers/s | server CPU s | machine CPU busy | RSS before MiB | peak RSS MiB | bills / lines | SQL statements | failed |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${row(first)}
${row(retry)}
| single SQL aggregate | ${fmt(sql.ms / 1000, 2)} | | ${fmt(sql.rows / (sql.ms / 1000), 0)} | | | | | | 1 | |

kWh: run ${first.run.totalKwh}, SQL ${sql.total}; bills whose kWh differ from SQL: ${check.mismatches} (after the second run: ${retryCheck.mismatches})
`);
  if (check.mismatches || retryCheck.mismatches) console.log('examples:', check.examples, retryCheck.examples);
  log(`results written to ${relative(ROOT, file)}`);
  const failed = [first, retry].some((r) => r.run.status !== 'COMPLETED' || r.run.failedCount);
  if (failed) console.log('failures:', first.run.failures.slice(0, 5), retry.run.failures.slice(0, 5));
  if (failed || check.mismatches || retryCheck.mismatches) process.exitCode = 1;
}

await runMain('settlement', main, { stack: true });
