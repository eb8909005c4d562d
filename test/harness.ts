import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { inject } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startApp, type App } from '../src/app.js';
import { loadConfig, type Config } from '../src/config/config.js';
import { seedDemo } from '../src/demo/seed.js';
import { OrgUnit } from '../src/orm/entities/index.js';
import { createLogger } from '../src/shared/logger.js';
import {
  TEMPLATE_DEMO_DAYS,
  templateReady,
  withDatabase,
  type TemplateName,
  type TestTemplates,
} from './support/templates.js';

/**
 * The end-to-end harness: a real server on a random port, on an in-memory PGlite by default, or on
 * a fresh database of the PostgreSQL server in DATABASE_URL (created here, dropped at stop).
 */
export interface TestServer {
  /** The running app, its configuration and address: all three change on `restart`. */
  app: App;
  config: Config;
  url: string;
  /** Database kind, for test names. */
  kind: 'pglite' | 'postgresql';
  /** Statements sent to the database since the last reset (for N+1 guards). */
  queries: { count: number; log: string[]; reset(): void };
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<GqlResult<T>>;
  login(username: string, password?: string): Promise<string>;
  /** An API key for a service account, issued by the demo admin; limited to channels when given. */
  apiKey(username: string, channelIds?: string[]): Promise<string>;
  ws(token?: string): Client;
  /** Subscribes over its own WebSocket and collects what arrives; `done` resolves on error or completion. */
  subscribe(token: string | undefined, query: string, variables?: Record<string, unknown>): Subscription;
  em(): EntityManager;
  /**
   * Stops the app and starts it again on the same database (`persistent` servers on PGlite), with
   * `env` added to the configuration; `whileStopped` runs in between (e.g. a command-line tool).
   */
  restart(opts?: { env?: Record<string, string>; whileStopped?: () => Promise<void> }): Promise<void>;
  stop(): Promise<void>;
}

export interface Subscription {
  // Payloads as the client receives them: { data: ... } per event.
  received: any[];
  errors: unknown[];
  done: Promise<void>;
  /**
   * Resolves once the server is listening for the subscription's events, so that an event caused
   * afterwards reaches it, however slow the machine; rejects if the subscription ends first.
   */
  ready: Promise<void>;
  client: Client;
}

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; fields?: { path: (string | number)[]; message: string }[]; [k: string]: unknown };
}

export interface GqlResult<T> {
  status: number;
  data?: T;
  errors?: GqlError[];
}

export const DEMO_PASSWORD = 'metergraph-demo';
/** The account the demo's customer1 logs in with. */
export const DEMO_CUSTOMER_ACCOUNT = '060100000001';

/**
 * A fresh database on the PostgreSQL server of `url`, with a unique name: empty, or a copy of
 * `template`; `drop` removes it.
 */
export async function createScratchDatabase(
  url: string,
  template?: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `mg_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}${template ? ` template ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(url, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** The run's database templates (support/templates.ts), when the global setup built them. */
const templates: TestTemplates | undefined = inject('testTemplates');

/**
 * The template a server starts from: the seeded demo when it would seed the same demo itself (same
 * days, no keys or first admin of its own), else the migrated database; none for a database of
 * the test's own or one kept on disk.
 */
function templateFor(opts: StartOptions): TemplateName | undefined {
  if (!templates || opts.database || opts.persistent) return undefined;
  const env = opts.env ?? {};
  const ownBootstrap = ['PERSONAL_DATA_KEYS', 'ADMIN_USERNAME', 'ADMIN_PASSWORD'].some((k) => k in env);
  if (opts.demo === false || ownBootstrap) return 'migrated';
  const days = opts.demoDays ?? 3;
  const seeded = (Object.keys(TEMPLATE_DEMO_DAYS) as TemplateName[]).find((n) => TEMPLATE_DEMO_DAYS[n] === days);
  return seeded ?? 'migrated';
}

export interface StartOptions {
  /** Seed the demo archive (two stations, five areas, 300 customers). Default true. */
  demo?: boolean;
  /** Days of daily frozen readings the demo gets, ending today (default 3; settlements need two months). */
  demoDays?: number;
  env?: Record<string, string>;
  /**
   * Run on this database instead of the suite's: a PostgreSQL database (`url`, left in place at
   * stop), or the embedded database kept on disk in `dataDir` (locked while the server runs).
   */
  database?: { url: string } | { dataDir: string };
  /** On PGlite, keep the database in DATA_DIR instead of memory, so that `restart` finds it again. */
  persistent?: boolean;
}

export async function startTestServer(opts: StartOptions = {}): Promise<TestServer> {
  const own = opts.database;
  const serverUrl = own ? undefined : process.env.DATABASE_URL;
  const template = templateFor(opts);
  if (template) await templateReady(templates!, template);
  const database = serverUrl
    ? await createScratchDatabase(serverUrl, template && templates!.names[template])
    : undefined;
  const databaseUrl = own && 'url' in own ? own.url : database?.url;
  // A dump to load into the in-memory database: read once, loaded at every (re)start.
  const dump = !serverUrl && template ? new Blob([readFileSync(templates!.names[template])]) : undefined;
  const baseEnv: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: randomBytes(32).toString('hex'),
    AUDIT_KEY: randomBytes(32).toString('hex'),
    PERSONAL_DATA_KEYS: templates?.personalDataKeys ?? `test:${randomBytes(32).toString('base64')}`,
    DEMO: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Each server its own data directory (ingestion journal, development secrets).
    DATA_DIR: own && 'dataDir' in own ? own.dataDir : mkdtempSync(join(tmpdir(), 'mg-test-')),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...opts.env,
  };
  const config = loadConfig(baseEnv);
  const queries = {
    count: 0,
    log: [] as string[],
    reset() {
      this.count = 0;
      this.log = [];
    },
  };
  const start = async (config: Config) => {
    const app = await startApp(config, createLogger(config.logLevel), {
      inMemory: !(opts.persistent || (own && 'dataDir' in own)),
      loadDataDir: dump,
      onQuery: (sql) => {
        queries.count++;
        queries.log.push(sql);
      },
    });
    return app;
  };
  const app = await start(config);
  if (opts.demo !== false && (!template || template === 'migrated')) {
    const em = app.db.orm.em.fork() as EntityManager;
    const root = await em.findOneOrFail(OrgUnit, { parent: null });
    // Without the demo's schedules: a test that wants collection creates its own.
    await seedDemo(em, root, app.personalData, { days: opts.demoDays ?? 3, schedules: false });
  }
  const server: TestServer = {
    app,
    config,
    url: app.server.url,
    kind: databaseUrl ? 'postgresql' : 'pglite',
    queries,
    async gql(query, variables, token, headers = {}) {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...((await res.json()) as object) };
    },
    async login(username, password = username === 'admin' ? 'metergraph-admin' : DEMO_PASSWORD) {
      // The demo's service account has no password door: it gets an API key (its whole scope).
      if (username === 'collector') return server.apiKey('collector');
      // The demo's customer signs in at the customers' door, with the account number.
      const res =
        username === 'customer1'
          ? await server.gql<{ customerLogin: { accessToken: string } }>(
              'mutation($a: String!, $p: String!) { customerLogin(input: { accountNo: $a, password: $p }) { accessToken } }',
              { a: DEMO_CUSTOMER_ACCOUNT, p: password },
            )
          : await server.gql<{ login: { accessToken: string } }>(
              'mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { accessToken } }',
              { u: username, p: password },
            );
      const tokens = 'login' in (res.data ?? {}) ? (res.data as any).login : (res.data as any)?.customerLogin;
      if (!tokens) throw new Error(`login ${username} failed: ${JSON.stringify(res.errors)}`);
      return tokens.accessToken as string;
    },
    async apiKey(username, channelIds) {
      const admin = await server.login('admin');
      const users = await server.gql<{ users: { nodes: { id: string }[] } }>(
        'query($s: String!) { users(filter: { search: $s }) { nodes { id } } }',
        { s: username },
        admin,
      );
      const res = await server.gql<{ createApiKey: { key: string } }>(
        'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }',
        { input: { name: `${username} key`, userId: users.data!.users.nodes[0]!.id, channelIds } },
        admin,
      );
      if (!res.data?.createApiKey) throw new Error(`API key for ${username} failed: ${JSON.stringify(res.errors)}`);
      return res.data.createApiKey.key;
    },
    ws(token) {
      return createClient({
        url: `${server.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
        lazy: true,
      });
    },
    subscribe(token, query, variables) {
      // The operation's id, known to the server's list of running subscriptions (see `ready`).
      const id = randomUUID();
      const client = createClient({
        url: `${server.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
        lazy: true,
        generateID: () => id,
      });
      const received: Subscription['received'] = [];
      const errors: unknown[] = [];
      let ended = false;
      const done = new Promise<void>((resolve) => {
        client.subscribe(
          { query, variables },
          {
            next: (v) => received.push(v),
            error: (e) => {
              errors.push(e);
              ended = true;
              resolve();
            },
            complete: () => {
              ended = true;
              resolve();
            },
          },
        );
      });
      const ready = (async () => {
        while (!server.app.server.subscriptions.has(id)) {
          if (ended) throw new Error(`the subscription ended before it started: ${JSON.stringify(errors)}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      // A test that does not wait for `ready` must not see its rejection as unhandled.
      ready.catch(() => {});
      return { received, errors, done, ready, client };
    },
    em: () => server.app.db.orm.em.fork() as EntityManager,
    async restart({ env = {}, whileStopped } = {}) {
      await server.app.stop();
      await whileStopped?.();
      server.config = loadConfig({ ...baseEnv, ...env });
      server.app = await start(server.config);
      server.url = server.app.server.url;
    },
    async stop() {
      await server.app.stop();
      await database?.drop();
    },
  };
  return server;
}

/**
 * Waits until `check` holds, asking every 20 ms; fails after `ms` (60 s by default: only a failing
 * test waits that long, so the bound can be generous enough for the busiest machine).
 */
export async function until(check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`still not so after ${ms} ms: ${check.toString().slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The SQL statements one request sends, counted twice in a row and the smaller count kept: a
 * count taken while a cache with a time to live (rules, login policies) is refreshed, or while a
 * background job of the server runs, is not the request's own.
 */
export async function statementsOf(server: TestServer, request: () => Promise<unknown>): Promise<number> {
  const counts: number[] = [];
  for (let i = 0; i < 2; i++) {
    server.queries.reset();
    await request();
    counts.push(server.queries.count);
  }
  return Math.min(...counts);
}

/** Asserts a response has exactly one error and returns it. */
export function onlyError(result: GqlResult<unknown>): GqlError {
  if (!result.errors || result.errors.length !== 1)
    throw new Error(`expected one error, got ${JSON.stringify(result)}`);
  return result.errors[0]!;
}

/**
 * Two servers on one fresh PostgreSQL database, as two processes behind a load balancer: the same
 * secrets (tokens, audit chain, personal data) and their events joined through Redis. The first
 * seeds the demo. `stop` stops both and drops the database.
 */
export async function startServerPair(
  env: Record<string, string> = {},
): Promise<{ a: TestServer; b: TestServer; stop(): Promise<void> }> {
  const db = await createScratchDatabase(process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const shared = {
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    JWT_SECRET: randomBytes(32).toString('hex'),
    AUDIT_KEY: randomBytes(32).toString('hex'),
    PERSONAL_DATA_KEYS: `test:${randomBytes(32).toString('base64')}`,
    ...env,
  };
  const a = await startTestServer({ database: { url: db.url }, env: shared });
  const b = await startTestServer({ database: { url: db.url }, env: shared, demo: false });
  return {
    a,
    b,
    async stop() {
      await a.stop();
      await b.stop();
      await db.drop();
    },
  };
}
