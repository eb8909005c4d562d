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
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { benchDatabase, isSeeded, LAYOUT, seed, SEED_MARKER } from './seed.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const require = createRequire(import.meta.url);

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
const ADMIN = { username: 'benchadmin', password: 'bench-password-1' };
const JWT_SECRET = 'bench-only-secret-not-used-for-anything-0123456789';

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

const log = (...args) => console.log('[bench:api]', ...args);

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(130));
}

function build() {
  if (process.env.BENCH_SKIP_BUILD === '1') return log('build skipped (BENCH_SKIP_BUILD=1)');
  log('compiling: tsc -p tsconfig.build.json');
  const result = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('tsc failed');
}

function sh(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

async function machine(db) {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const version = (await client.query('show server_version')).rows[0].server_version;
    const size = (await client.query('select pg_size_pretty(pg_database_size(current_database())) as s')).rows[0].s;
    const names = ['shared_buffers', 'work_mem', 'max_connections', 'jit'];
    const settingsRows = (
      await client.query(`select name, current_setting(name) as value from unnest($1::text[]) name`, [names])
    ).rows;
    return {
      cpus: os.cpus().length,
      nproc: sh('nproc', []),
      cpuModel: os.cpus()[0]?.model ?? null,
      memory: sh('free', ['-h'])?.split('\n')[1]?.replace(/\s+/g, ' ') ?? `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      kernel: `${os.type()} ${os.release()}`,
      node: process.version,
      postgres: version,
      postgresSettings: Object.fromEntries(settingsRows.map((r) => [r.name, r.value])),
      databaseSize: size,
    };
  } finally {
    await client.end();
  }
}

function startServer(name, db) {
  const script = join(here, `${name}-server.mjs`);
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: String(settings.poolMax),
    PORT: '0',
    HOST: '127.0.0.1',
    DEMO: 'false',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    JWT_SECRET,
    LOG_LEVEL: 'warn',
  };
  const child = fork(script, [], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const pending = new Map();
  child.on('message', (message) => {
    const waiter = pending.get(message?.type);
    if (waiter) {
      pending.delete(message.type);
      waiter(message);
    }
  });
  const next = (type, timeoutMs) =>
    new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      const onExit = (code) => reject(new Error(`${name} exited with code ${code} while waiting for '${type}'`));
      child.once('exit', onExit);
      pending.set(type, (message) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolvePromise(message);
      });
    });
  return {
    ready: next('ready', 120_000),
    stats: () => {
      const answer = next('stats', 10_000);
      child.send({ type: 'stats' });
      return answer;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Busy share of all CPUs between two os.cpus() snapshots (server, PostgreSQL, load generator and anything else). */
function cpuBusy(before, after) {
  let busy = 0;
  let all = 0;
  after.forEach((cpu, i) => {
    const prev = before[i].times;
    const d = Object.fromEntries(Object.entries(cpu.times).map(([k, v]) => [k, v - prev[k]]));
    all += d.user + d.nice + d.sys + d.idle + d.irq;
    busy += d.user + d.nice + d.sys + d.irq;
  });
  return all ? busy / all : null;
}

async function post(url, headers, body) {
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, text };
}

function cannon(options) {
  return new Promise((resolvePromise, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolvePromise(result)));
  });
}

/** CPU busy share over `ms` while this bench is idle: anything well above 0 means the figures will be noisy. */
async function backgroundCpu(ms = 2000) {
  const before = os.cpus();
  await new Promise((r) => setTimeout(r, ms));
  return cpuBusy(before, os.cpus());
}

async function benchServer(name, db) {
  const background = await backgroundCpu();
  if (background > 0.15) {
    log(
      `warning: the machine is ${Math.round(background * 100)} % busy before the run (other processes); figures will be noisy`,
    );
  }
  log(`${name}: starting`);
  const server = startServer(name, db);
  try {
    const { url } = await server.ready;
    const headers = { 'content-type': 'application/json' };
    if (name === 'metergraph') {
      const login = await post(
        url,
        headers,
        JSON.stringify({
          query: `mutation { login(input: { username: "${ADMIN.username}", password: "${ADMIN.password}" }) { accessToken } }`,
        }),
      );
      const token = JSON.parse(login.text).data?.login?.accessToken;
      if (!token) throw new Error(`metergraph: login failed: ${login.text}`);
      headers.authorization = `Bearer ${token}`;
    }
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
    // autocannon drops its sockets at the deadline while the server is still running some requests:
    // wait until the statement count stands still before reading it.
    const settle = async () => {
      let last = await server.stats();
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const now = await server.stats();
        if (now.statements === last.statements && now.requests === last.requests) return now;
        last = now;
      }
      return last;
    };
    log(`${name}: warm-up ${settings.warmup} s`);
    await cannon({ ...options, duration: settings.warmup });
    const start = await settle();
    log(`${name}: measuring ${settings.duration} s with ${settings.connections} connections`);
    const loadBefore = os.loadavg()[0];
    const cpusBefore = os.cpus();
    const result = await cannon({ ...options, duration: settings.duration });
    const machineCpuBusy = cpuBusy(cpusBefore, os.cpus());
    const end = await settle();
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

const pct = (share) => (share === null || share === undefined ? 'n/a' : `${Math.round(share * 100)} %`);

export function markdownTable(runs) {
  const lines = [
    '| Server | req/s | p50 (ms) | p99 (ms) | SQL statements / request | server CPU ms / request | CPU busy: before / during | failed requests |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { server, result: r } of runs) {
    const failed = r.errors + r.non2xx + r.mismatches;
    lines.push(
      `| ${server === 'metergraph' ? 'Metergraph' : 'PostGraphile 4'} | ${fmt(r.requestsPerSecond)} | ${fmt(r.latencyMs.p50, 0)} | ${fmt(r.latencyMs.p99, 0)} | ${fmt(r.statementsPerRequest, 2)} (single request: ${r.statementsSingleRequest}) | ${fmt(r.serverCpuMsPerRequest, 1)} | ${pct(r.backgroundCpuBusyBefore)} / ${pct(r.machineCpuBusy)} | ${failed} of ${r.requests} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const startedAt = new Date();
  const unknown = settings.servers.filter((s) => !QUERIES[s]);
  if (unknown.length) throw new Error(`BENCH_SERVERS: unknown ${unknown.join(', ')}`);
  build();
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

  const packageVersion = (p) => JSON.parse(readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8')).version;
  const report = {
    benchmark: 'api: nested query',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings: { ...settings, page: PAGE },
    data: { marker: SEED_MARKER, layout: LAYOUT },
    machine: env,
    // What was compiled: the commit, and whether src/ or migrations/ had uncommitted changes.
    source: {
      commit: sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD']),
      uncommittedChanges: Boolean(sh('git', ['-C', root, 'status', '--porcelain', '--', 'src', 'migrations'])),
    },
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
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `api-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');

  console.log('');
  console.log(
    `Nested query, ${settings.connections} connections, ${settings.duration} s per server; ${env.nproc ?? env.cpus} CPUs, Node ${env.node}, PostgreSQL ${env.postgres}`,
  );
  console.log('');
  console.log(markdownTable(runs));
  console.log('');
  log(`results written to ${relative(root, file)}`);
  const failed = runs.filter((r) => r.result.errors + r.result.non2xx + r.result.mismatches > 0);
  if (failed.length) {
    log(`failed requests on: ${failed.map((r) => r.server).join(', ')}`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (error) {
  console.error('[bench:api] failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  for (const child of children) child.kill('SIGKILL');
}
