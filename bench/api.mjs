// `npm run bench:api`: throughput, latency and SQL statements per request of one nested query,
// Metergraph against PostGraphile v4 on the same PostgreSQL database.
//
//   1. compiles the server (tsc -p tsconfig.build.json -> dist/)
//   2. seeds the benchmark database unless it already holds the bench data set (bench/seed.mjs)
//   3. per server, one after the other: starts it in a forked child, checks the answer of the query,
//      counts the statements of a single request, warms up, then runs autocannon on loopback
//   4. writes bench/results/api-<time>.json and prints a markdown table
//
// Environment (all optional):
//   BENCH_DURATION=20      seconds measured per server     BENCH_CONNECTIONS=10  concurrent connections
//   BENCH_WARMUP=5         seconds of warm-up per server   BENCH_SERVERS=metergraph,postgraphile
//   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432        BENCH_DB=mg_bench
//   BENCH_RESEED=1         drop and seed again             BENCH_SKIP_BUILD=1  use dist/ as it is
import os from 'node:os';
import { join, relative } from 'node:path';
import {
  BENCH_ADMIN,
  BENCH_DIR,
  backgroundCpu,
  benchDatabase,
  benchLog,
  commandOutput,
  compile,
  cpuBusy,
  cpuInfo,
  exitOnSignals,
  forkServer,
  formatShare,
  loadTest,
  login,
  machineLine,
  packageVersion,
  ROOT,
  runMain,
  serverEnv,
  settledStats,
  sourceInfo,
  withClient,
  writeResults,
} from './lib.mjs';
import { isSeeded, LAYOUT, seed, SEED_MARKER } from './seed.mjs';

const settings = {
  duration: Number(process.env.BENCH_DURATION ?? 20),
  warmup: Number(process.env.BENCH_WARMUP ?? 5),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
  poolMax: 10,
  servers: (process.env.BENCH_SERVERS ?? 'metergraph,postgraphile')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
};
const PAGE = { orgUnits: 10, meters: 10 };

/** The same data from both servers: 10 transformer areas, 10 meters each, current customer, newest reading. */
export const QUERIES = {
  metergraph: `{
  orgUnits(first: ${PAGE.orgUnits}, filter: { kinds: [TRANSFORMER_AREA] }) {
    nodes {
      name
      meters(first: ${PAGE.meters}) {
        nodes {
          assetNo
          commAddress
          customer { accountNo name }
          latestReading { value measuredAt }
        }
      }
    }
  }
}`,
  postgraphile: `{
  allOrgUnits(first: ${PAGE.orgUnits}, condition: { kind: "TRANSFORMER_AREA" }, orderBy: PRIMARY_KEY_ASC) {
    nodes {
      name
      metersByOrgUnitId(first: ${PAGE.meters}, orderBy: PRIMARY_KEY_ASC) {
        nodes {
          assetNo
          commAddress
          meterAssignmentsByMeterId(first: 1, condition: { removedAt: null }) {
            nodes { servicePointByServicePointId { customerByCustomerId { accountNo name } } }
          }
          readingsByMeterId(first: 1, condition: { register: "FORWARD_ACTIVE_TOTAL" }, orderBy: MEASURED_AT_DESC) {
            nodes { value measuredAt }
          }
        }
      }
    }
  }
}`,
};

/** Reduces either answer to the same shape, to check that both servers return the same rows. */
const NORMALISE = {
  metergraph: (data) =>
    data.orgUnits.nodes.map((u) => ({
      name: u.name,
      meters: u.meters.nodes.map((m) => ({
        assetNo: m.assetNo,
        commAddress: m.commAddress,
        customer: m.customer,
        reading: m.latestReading && {
          value: Number(m.latestReading.value),
          at: Date.parse(m.latestReading.measuredAt),
        },
      })),
    })),
  postgraphile: (data) =>
    data.allOrgUnits.nodes.map((u) => ({
      name: u.name,
      meters: u.metersByOrgUnitId.nodes.map((m) => {
        const r = m.readingsByMeterId.nodes[0];
        return {
          assetNo: m.assetNo,
          commAddress: m.commAddress,
          customer: m.meterAssignmentsByMeterId.nodes[0]?.servicePointByServicePointId?.customerByCustomerId ?? null,
          reading: r ? { value: Number(r.value), at: Date.parse(r.measuredAt) } : null,
        };
      }),
    })),
};

const log = benchLog('api', console.log);
exitOnSignals();

async function machine(db) {
  return withClient(db.url, async (client) => {
    const version = (await client.query('show server_version')).rows[0].server_version;
    const size = (await client.query('select pg_size_pretty(pg_database_size(current_database())) as s')).rows[0].s;
    const names = ['shared_buffers', 'work_mem', 'max_connections', 'jit'];
    const settingsRows = (
      await client.query(`select name, current_setting(name) as value from unnest($1::text[]) name`, [names])
    ).rows;
    return {
      ...cpuInfo(),
      memory:
        commandOutput('free', ['-h'])?.split('\n')[1]?.replace(/\s+/g, ' ') ??
        `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      kernel: `${os.type()} ${os.release()}`,
      node: process.version,
      postgres: version,
      postgresSettings: Object.fromEntries(settingsRows.map((r) => [r.name, r.value])),
      databaseSize: size,
    };
  });
}

async function post(url, headers, body) {
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, text };
}

async function benchServer(name, db) {
  const background = await backgroundCpu(log);
  log(`${name}: starting`);
  const server = forkServer(join(BENCH_DIR, `${name}-server.mjs`), serverEnv(db, settings.poolMax), { name });
  try {
    const { url } = await server.ready;
    const headers = { 'content-type': 'application/json' };
    if (name === 'metergraph') headers.authorization = `Bearer ${await login(url, BENCH_ADMIN)}`;
    const body = JSON.stringify({ query: QUERIES[name] });

    // A first request (schema build, pool connect, JIT) is not measured; the second one is counted.
    const first = await post(url, headers, body);
    const before = await server.stats();
    const check = await post(url, headers, body);
    const after = await server.stats();
    const parsed = JSON.parse(check.text);
    if (check.status !== 200 || parsed.errors || first.text !== check.text) {
      throw new Error(`${name}: unexpected answer (HTTP ${check.status}): ${check.text.slice(0, 500)}`);
    }
    const rows = NORMALISE[name](parsed.data);
    const meterCount = rows.reduce((n, u) => n + u.meters.length, 0);
    const complete = rows.every((u) => u.meters.every((m) => m.customer && m.reading));
    if (rows.length !== PAGE.orgUnits || meterCount !== PAGE.orgUnits * PAGE.meters || !complete) {
      throw new Error(`${name}: answer has ${rows.length} units / ${meterCount} meters (complete: ${complete})`);
    }

    const options = {
      url,
      method: 'POST',
      headers,
      body,
      connections: settings.connections,
      pipelining: 1,
      // Every answer must be byte-identical to the checked one: a mismatch counts as a failure.
      expectBody: check.text,
      timeout: 10,
    };
    // Statement and request counts are read once they stand still (settledStats).
    log(`${name}: warm-up ${settings.warmup} s`);
    await loadTest({ ...options, duration: settings.warmup });
    const start = await settledStats(server, 50);
    log(`${name}: measuring ${settings.duration} s with ${settings.connections} connections`);
    const loadBefore = os.loadavg()[0];
    const cpusBefore = os.cpus();
    const result = await loadTest({ ...options, duration: settings.duration });
    const machineCpuBusy = cpuBusy(cpusBefore, os.cpus());
    const end = await settledStats(server, 50);
    const served = end.requests - start.requests;
    return {
      server: name,
      rows,
      result: {
        requestsPerSecond: result.requests.average,
        latencyMs: {
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          average: result.latency.average,
          max: result.latency.max,
        },
        requests: result.requests.total,
        requestsServed: served,
        durationSeconds: result.duration,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        mismatches: result.mismatches,
        responseBytes: Buffer.byteLength(check.text),
        statementsSingleRequest: after.statements - before.statements,
        statementsPerRequest: served ? (end.statements - start.statements) / served : null,
        serverCpuMsPerRequest: served ? (end.cpuMs - start.cpuMs) / served : null,
        machineCpuBusy,
        backgroundCpuBusyBefore: background,
        loadAverageBefore: loadBefore,
      },
    };
  } finally {
    await server.stop();
    log(`${name}: stopped`);
  }
}

const fmt = (n, digits = 1) => (n === null || n === undefined ? 'n/a' : Number(n).toFixed(digits));

export function markdownTable(runs) {
  const lines = [
    '| Server | req/s | p50 (ms) | p99 (ms) | SQL statements / request | server CPU ms / request | CPU busy: before / during | failed requests |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { server, result: r } of runs) {
    const failed = r.errors + r.non2xx + r.mismatches;
    lines.push(
      `| ${server === 'metergraph' ? 'Metergraph' : 'PostGraphile 4'} | ${fmt(r.requestsPerSecond)} | ${fmt(r.latencyMs.p50, 0)} | ${fmt(r.latencyMs.p99, 0)} | ${fmt(r.statementsPerRequest, 2)} (single request: ${r.statementsSingleRequest}) | ${fmt(r.serverCpuMsPerRequest, 1)} | ${formatShare(r.backgroundCpuBusyBefore)} / ${formatShare(r.machineCpuBusy)} | ${failed} of ${r.requests} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const startedAt = new Date();
  const unknown = settings.servers.filter((s) => !QUERIES[s]);
  if (unknown.length) throw new Error(`BENCH_SERVERS: unknown ${unknown.join(', ')}`);
  if (!compile(log)) log('build skipped (BENCH_SKIP_BUILD=1)');
  const db = benchDatabase();
  if (process.env.BENCH_RESEED === '1' || !(await isSeeded(db))) {
    await seed(db, (m) => log(m));
  } else {
    log(`${db.name} already seeded (${SEED_MARKER})`);
  }
  const env = await machine(db);

  const runs = [];
  for (const name of settings.servers) runs.push(await benchServer(name, db));

  if (runs.length === 2 && JSON.stringify(runs[0].rows) !== JSON.stringify(runs[1].rows)) {
    throw new Error('the two servers returned different rows');
  }

  const report = {
    benchmark: 'api: nested query',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings: { ...settings, page: PAGE },
    data: { marker: SEED_MARKER, layout: LAYOUT },
    machine: env,
    // What was compiled: the commit, and whether src/ or migrations/ had uncommitted changes.
    source: sourceInfo(['src', 'migrations']),
    versions: {
      autocannon: packageVersion('autocannon'),
      postgraphile: packageVersion('postgraphile'),
      '@apollo/server': packageVersion('@apollo/server'),
      '@mikro-orm/core': packageVersion('@mikro-orm/core'),
      pg: packageVersion('pg'),
    },
    queries: Object.fromEntries(settings.servers.map((s) => [s, QUERIES[s]])),
    results: Object.fromEntries(runs.map((r) => [r.server, r.result])),
  };
  const file = writeResults('api', startedAt, report);

  console.log('');
  console.log(
    `Nested query, ${settings.connections} connections, ${settings.duration} s per server; ${machineLine(env)}`,
  );
  console.log('');
  console.log(markdownTable(runs));
  console.log('');
  log(`results written to ${relative(ROOT, file)}`);
  const failed = runs.filter((r) => r.result.errors + r.result.non2xx + r.result.mismatches > 0);
  if (failed.length) {
    log(`failed requests on: ${failed.map((r) => r.server).join(', ')}`);
    process.exitCode = 1;
  }
}

await runMain('api', main);
