import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { ensureDefaultPermissions, ensureRootOrgUnit } from '../../src/bootstrap/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';
import { seedDemo } from '../../src/demo/seed.js';
import { migrate, openDatabase, type Database } from '../../src/orm/orm.js';
import { createLogger } from '../../src/shared/logger.js';
import { PersonalDataCipher } from '../../src/shared/personal-data.js';

/**
 * Databases built once per test run and copied for every test server, so that a test file does not
 * spend most of its time migrating and seeding before its first test:
 * - `migrated`: every migration applied, nothing else (the server's first start does the rest);
 * - `demo`: also the default permissions, the root unit and the demo archive with three days of
 *   readings, as `startTestServer()` seeds it, sealed with the run's personal-data key;
 * - `demo-months`: the same with the readings of the demo's 92 days (`demoDays: 92`), enough for
 *   last month's settlement whatever the billing day.
 * On PostgreSQL a template is a database (`CREATE DATABASE ... TEMPLATE`); on PGlite it is a dump
 * of the data directory that each server loads into its in-memory database.
 *
 * The first two are built before the tests start. `demo-months` (a few seconds of seeding) is built
 * meanwhile, while the first files run, and announced in the status file when done: a server that
 * needs it waits for it (`templateReady`).
 */
export type TemplateName = 'migrated' | 'demo' | 'demo-months';

/** Days of readings of each seeded template. */
export const TEMPLATE_DEMO_DAYS: Partial<Record<TemplateName, number>> = { demo: 3, 'demo-months': 92 };

export interface TestTemplates {
  kind: 'pglite' | 'postgresql';
  /** Per name: the template database's name (PostgreSQL) or the dump file's path (PGlite). */
  names: Record<TemplateName, string>;
  /** The personal-data keys the seeded templates were sealed with: their servers must use them. */
  personalDataKeys: string;
  /** A JSON file: per template built so far, `"ready"` or why it failed. */
  statusFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absent when the run has no global setup (a file run with another configuration). */
    testTemplates?: TestTemplates;
  }
}

type Status = Partial<Record<TemplateName, string>>;

/**
 * Builds `migrated` and `demo` on the suite's database and starts `demo-months`; `background`
 * settles when that one is built (or failed, as its status says), `drop` removes them all.
 */
export async function buildTemplates(
  serverUrl: string | undefined,
): Promise<{ templates: TestTemplates; background: Promise<void>; drop(): Promise<void> }> {
  const personalDataKeys = `test:${randomBytes(32).toString('base64')}`;
  const run = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'mg-templates-'));
  const statusFile = join(dir, 'status.json');
  const status: Status = {};
  const announce = (name: TemplateName, state: string) => {
    status[name] = state;
    writeFileSync(`${statusFile}.tmp`, JSON.stringify(status));
    renameSync(`${statusFile}.tmp`, statusFile);
  };
  const names = {} as Record<TemplateName, string>;
  for (const name of ['migrated', 'demo', 'demo-months'] as const)
    names[name] = serverUrl ? `mg_template_${run}_${name.replace('-', '_')}` : join(dir, `${name}.tar`);
  const created: string[] = [];

  const config = (database?: string) =>
    loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: randomBytes(32).toString('hex'),
      AUDIT_KEY: randomBytes(32).toString('hex'),
      PERSONAL_DATA_KEYS: personalDataKeys,
      DEMO: 'false',
      LOG_LEVEL: 'silent',
      DATA_DIR: dir,
      ...(serverUrl && database ? { DATABASE_URL: withDatabase(serverUrl, database) } : {}),
    });
  /** An empty database, or a copy of another template (built and closed). */
  const open = async (name: TemplateName, from?: TemplateName): Promise<Database> => {
    if (serverUrl) {
      await onServer(serverUrl, [`create database ${names[name]}${from ? ` template ${names[from]}` : ''}`]);
      created.push(names[name]);
    }
    const c = config(names[name]);
    return openDatabase(c, createLogger(c.logLevel), {
      inMemory: true,
      loadDataDir: from && !serverUrl ? new Blob([readFileSync(names[from])]) : undefined,
    });
  };
  const seed = async (db: Database, days: number) => {
    const em = db.orm.em.fork() as EntityManager;
    await ensureDefaultPermissions(em);
    const root = await ensureRootOrgUnit(em);
    await seedDemo(em, root, new PersonalDataCipher(config().personalData.keys), { days, schedules: false });
  };
  /** A dump of an embedded database as the template's file (nothing to do on PostgreSQL). */
  const keep = async (db: Database, name: TemplateName) => {
    if (!db.pglite) return;
    writeFileSync(`${names[name]}.tmp`, new Uint8Array(await (await db.pglite.dumpDataDir('none')).arrayBuffer()));
    renameSync(`${names[name]}.tmp`, names[name]);
  };

  const drop = async () => {
    rmSync(dir, { recursive: true, force: true });
    if (serverUrl && created.length)
      await onServer(
        serverUrl,
        created.map((n) => `drop database if exists ${n} with (force)`),
      );
  };
  try {
    // On PGlite the demo is seeded in the same database right after its migrated state is kept;
    // on PostgreSQL a template must have no connection when it is copied, so each is its own.
    const migrated = await open('migrated');
    try {
      await migrate(migrated);
      await keep(migrated, 'migrated');
      if (migrated.pglite) {
        await seed(migrated, TEMPLATE_DEMO_DAYS.demo!);
        await keep(migrated, 'demo');
      }
    } finally {
      await migrated.close();
    }
    if (serverUrl) {
      const demo = await open('demo', 'migrated');
      await seed(demo, TEMPLATE_DEMO_DAYS.demo!).finally(() => demo.close());
    }
    announce('migrated', 'ready');
    announce('demo', 'ready');
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  const background = (async () => {
    try {
      const months = await open('demo-months', 'migrated');
      try {
        await seed(months, TEMPLATE_DEMO_DAYS['demo-months']!);
        await keep(months, 'demo-months');
      } finally {
        await months.close();
      }
      announce('demo-months', 'ready');
    } catch (error) {
      announce('demo-months', `failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  })();
  return {
    templates: { kind: serverUrl ? 'postgresql' : 'pglite', names, personalDataKeys, statusFile },
    background,
    drop,
  };
}

/** Waits until the template is built; throws with the reason when its build failed. */
export async function templateReady(templates: TestTemplates, name: TemplateName): Promise<void> {
  for (;;) {
    const state = existsSync(templates.statusFile)
      ? (JSON.parse(readFileSync(templates.statusFile, 'utf8')) as Status)[name]
      : undefined;
    if (state === 'ready') return;
    if (state) throw new Error(`the ${name} database template was not built: ${state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const target = new URL(url);
  target.pathname = `/${database}`;
  return target.toString();
}

async function onServer(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
