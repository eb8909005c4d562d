// What the bench scripts (bench/*.mjs) share: paths and logging, compiling dist/, describing the
// machine and the source under test, CPU sampling, PostgreSQL databases, servers forked under load
// (the driver's side of the IPC protocol of count-statements.mjs), results files and number formats.
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const require = createRequire(import.meta.url);

// --- Paths, logging, compiling -----------------------------------------------------------------

/** The bench/ folder. */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
/** The repository root: the working directory of compiling and of the servers under test. */
export const ROOT = resolve(BENCH_DIR, '..');

/** A log function that prefixes its line with `[bench:<name>]`, written with `print` (stderr by default). */
export function benchLog(name, print = console.error) {
  return (...args) => print(`[bench:${name}]`, ...args);
}

/**
 * Runs a bench's `main`. A failure prints `[bench:<name>] failed: <message>` (or the stack) and sets
 * exit code 1; either way, child processes still running (killOnExit) are killed at the end.
 */
export async function runMain(name, main, { stack = false } = {}) {
  try {
    await main();
  } catch (error) {
    console.error(`[bench:${name}] failed:`, error instanceof Error ? (stack ? error.stack : error.message) : error);
    process.exitCode = 1;
  } finally {
    killChildren();
  }
}

/**
 * Compiles the server into dist/ (`tsc -p tsconfig.build.json`; with `withSdk`, `npm run build`,
 * which also compiles packages/collector-sdk), unless BENCH_SKIP_BUILD=1. Returns whether it compiled.
 */
export function compile(log, { withSdk = false } = {}) {
  if (process.env.BENCH_SKIP_BUILD === '1') return false;
  const [what, command, args] = withSdk
    ? ['npm run build', 'npm', ['run', '-s', 'build']]
    : [
        'tsc -p tsconfig.build.json',
        process.execPath,
        [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      ];
  log(`compiling: ${what}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${what} failed`);
  return true;
}

// --- The machine and the source under test -----------------------------------------------------

/** What a command prints, trimmed, or null when it fails or does not exist (its stderr is dropped). */
export function commandOutput(command, args = []) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The CPUs: how many the machine has, how many this process may use (nproc), and their model. */
export function cpuInfo() {
  return { cpus: os.cpus().length, nproc: commandOutput('nproc'), cpuModel: os.cpus()[0]?.model ?? null };
}

/** `<n> CPUs, Node <version>[, PostgreSQL <version>]` from a results file's `machine` entry. */
export function machineLine(machine) {
  const line = `${machine.nproc ?? machine.cpus} CPUs, Node ${machine.node}`;
  return machine.postgres ? `${line}, PostgreSQL ${machine.postgres}` : line;
}

/** The commit that was compiled, and whether `paths` had uncommitted changes. */
export function sourceInfo(paths = ['src', 'migrations']) {
  return {
    commit: commandOutput('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    uncommittedChanges: Boolean(commandOutput('git', ['-C', ROOT, 'status', '--porcelain', '--', ...paths])),
  };
}

/** The installed version of a package (node_modules/<name>/package.json). */
export function packageVersion(name) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

// --- CPU ---------------------------------------------------------------------------------------

/** Busy share of all CPUs between two os.cpus() snapshots (this bench, the servers and anything else). */
export function cpuBusy(before, after) {
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

/**
 * CPU busy share over 2 s while this bench is idle, logging a warning above 15 %: anything well
 * above 0 means the figures will be noisy.
 */
export async function backgroundCpu(log) {
  const before = os.cpus();
  await sleep(2000);
  const share = cpuBusy(before, os.cpus());
  if (share > 0.15) {
    log(
      `warning: the machine is ${Math.round(share * 100)} % busy before the run (other processes); figures will be noisy`,
    );
  }
  return share;
}

/** CPU time (user + system) this process has used so far, in ms. */
export function ownCpuMs() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

// --- PostgreSQL --------------------------------------------------------------------------------

/**
 * The bench database: the server of BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432) and the
 * database BENCH_DB (default mg_bench), read from `env`; `adminUrl` is the server's postgres database.
 */
export function benchDatabase(env = process.env) {
  const server = (env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
  const name = env.BENCH_DB ?? 'mg_bench';
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`BENCH_DB must be a plain lower-case identifier, got ${name}`);
  return { server, name, url: `${server}/${name}`, adminUrl: `${server}/postgres` };
}

/** Runs `fn(client)` on a connection of its own to `url`, closed afterwards. */
export async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** One statement on a connection of its own to `url`. */
export function query(url, text, params = []) {
  return withClient(url, (client) => client.query(text, params));
}

/** Drops the database (with force: open connections are ended) and creates it empty. */
export async function recreateDatabase(db) {
  await withClient(db.adminUrl, async (c) => {
    await c.query(`drop database if exists ${db.name} with (force)`);
    await c.query(`create database ${db.name}`);
  });
}

/** Drops the database, with force, when it exists. */
export async function dropDatabase(db) {
  await query(db.adminUrl, `drop database if exists ${db.name} with (force)`);
}

/** The comment on the database (the benches mark what a database holds with it), or null. */
export async function databaseComment(db) {
  const r = await query(
    db.adminUrl,
    `select shobj_description(oid, 'pg_database') as marker from pg_database where datname = $1`,
    [db.name],
  );
  return r.rows[0]?.marker ?? null;
}

/** Sets the comment on the database (`text` must not contain a quote). */
export async function setDatabaseComment(db, text) {
  await query(db.adminUrl, `comment on database ${db.name} is '${text}'`);
}

/** `show server_version` of the PostgreSQL server behind `url`. */
export async function postgresVersion(url) {
  return (await query(url, 'show server_version')).rows[0].server_version;
}

// --- Servers under load ------------------------------------------------------------------------

/** The administrator the servers under test create at their first start. */
export const BENCH_ADMIN = { username: 'benchadmin', password: 'bench-password-1' };
/** The token secret of every server and migration run the benches start. */
export const BENCH_JWT_SECRET = 'bench-only-secret-not-used-for-anything-0123456789';
/** The secrets production requires, fixed for benchmark servers (their data is thrown away). */
export const BENCH_SECRETS = {
  JWT_SECRET: BENCH_JWT_SECRET,
  AUDIT_KEY: 'bench-only-audit-key-not-used-for-anything-012345',
  PERSONAL_DATA_KEYS: `bench:${Buffer.alloc(32, 7).toString('base64')}`,
};

/**
 * The environment of a server under test (bench/*-server.mjs): this process's, plus production mode
 * on a free loopback port, no demo, the bench administrator, database `db` with `poolMax` connections,
 * and `extra` variables.
 */
export function serverEnv(db, poolMax, extra = {}) {
  return {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: String(poolMax),
    PORT: '0',
    HOST: '127.0.0.1',
    DEMO: 'false',
    ADMIN_USERNAME: BENCH_ADMIN.username,
    ADMIN_PASSWORD: BENCH_ADMIN.password,
    ...BENCH_SECRETS,
    LOG_LEVEL: 'warn',
    // Throughput is measured, not the budgets: one token hammering would be throttled.
    RATE_LIMIT: 'false',
    // The bench administrator logs in with a password only (production asks admins for a one-time code).
    LOGIN_ADMIN_TOTP: 'false',
    ...extra,
  };
}

const children = new Set();
let killOnProcessExit = false;

/** Kills `child` (SIGKILL) if it still runs when this process exits or when killChildren() is called. */
export function killOnExit(child) {
  if (!killOnProcessExit) {
    process.on('exit', killChildren);
    killOnProcessExit = true;
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Kills (SIGKILL) every child process of killOnExit() that still runs. */
export function killChildren() {
  for (const child of children) child.kill('SIGKILL');
}

/** Makes SIGINT and SIGTERM exit the process (code 130), so that its child processes are killed too. */
export function exitOnSignals() {
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
}

/**
 * Forks a server script (bench/metergraph-server.mjs, bench/postgraphile-server.mjs) with `env` and
 * an IPC channel, and talks to it by message type (count-statements.mjs answers):
 * - `ready`: resolves to the child's `{ url }` once it serves (within `readyTimeoutMs`);
 * - `stats()`: statements sent, HTTP requests received and CPU ms used so far;
 * - `traceStart()` / `traceStop()`: records the statements sent in between, returned by traceStop();
 * - `stop()`: asks the child to stop and waits for its exit (SIGKILL after 15 s);
 * - `pid`: the child's process id (its /proc entry: memory).
 * `name` is the server's name in error messages.
 */
export function forkServer(script, env, { name = 'server', readyTimeoutMs = 120_000 } = {}) {
  const child = fork(script, [], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  killOnExit(child);
  const pending = new Map();
  child.on('message', (message) => {
    const waiter = pending.get(message?.type);
    if (waiter) {
      pending.delete(message.type);
      waiter(message);
    }
  });
  /** The next message of this type from the child. */
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
  /** Sends a message of this type and waits for the child's answer of the same type. */
  const ask = (type) => {
    const answer = next(type, 10_000);
    child.send({ type });
    return answer;
  };
  return {
    pid: child.pid,
    ready: next('ready', readyTimeoutMs),
    stats: () => ask('stats'),
    traceStart: () => ask('trace-start'),
    traceStop: async () => (await ask('trace-stop')).statements,
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

/** The other end of forkServer(): tells the driver that the server listens on `httpServer`. */
export function announceReady(httpServer) {
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${httpServer.address().port}/graphql` });
}

/**
 * A forked server's stats once they stand still: autocannon drops its sockets at the deadline while
 * the server is still running some requests. Polls every 250 ms, at most `attempts` times.
 */
export async function settledStats(server, attempts) {
  let last = await server.stats();
  for (let i = 0; i < attempts; i++) {
    await sleep(250);
    const now = await server.stats();
    if (now.statements === last.statements && now.requests === last.requests) return now;
    last = now;
  }
  return last;
}

/** One autocannon run with these options; resolves to its result. */
export async function loadTest(options) {
  const { default: autocannon } = await import('autocannon');
  return new Promise((resolvePromise, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolvePromise(result)));
  });
}

/** POSTs a GraphQL operation (with a bearer token when given) and returns its data; throws on errors. */
export async function graphql(url, token, document, variables) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: document, variables }),
  });
  const text = await response.text();
  const body = JSON.parse(text);
  if (response.status !== 200 || body.errors) throw new Error(`HTTP ${response.status}: ${text.slice(0, 500)}`);
  return body.data;
}

/** Logs `user` ({ username, password }) in at the GraphQL endpoint `url` and returns the access token. */
export async function login(url, user) {
  const data = await graphql(
    url,
    null,
    `
      mutation ($u: String!, $p: String!) {
        login(input: { username: $u, password: $p }) {
          accessToken
        }
      }
    `,
    { u: user.username, p: user.password },
  );
  return data.login.accessToken;
}

// --- Results -----------------------------------------------------------------------------------

/**
 * Writes `report` as bench/results/<kind>-<time>.json, the time being `startedAt` (a Date or an ISO
 * string) with `:` and `.` as `-`, and returns the file's path.
 */
export function writeResults(kind, startedAt, report) {
  const dir = join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${kind}-${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}

/** `n` with `digits` decimals and thousands separators (1,234.5), or n/a. */
export function formatNumber(n, digits) {
  return n === null || n === undefined || Number.isNaN(n)
    ? 'n/a'
    : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A share (0..1) as whole percent (`42 %`), or n/a. */
export function formatShare(share) {
  return share === null || share === undefined ? 'n/a' : `${Math.round(share * 100)} %`;
}

/** The p-th percentile (0-100) of ascending `sorted` values, or null when there are none. */
export function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null;
}
