import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { ensureDefaultPermissions, ensureRootOrgUnit } from '../../src/bootstrap/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';
import { seedDemo } from '../../src/demo/seed.js';
import { migrate, openDatabase } from '../../src/orm/orm.js';
import { createLogger } from '../../src/shared/logger.js';
import { PersonalDataCipher } from '../../src/shared/personal-data.js';

/**
 * Databases built once per test run and copied for every test server, so that a test file does not
 * spend most of its time migrating and seeding before its first test:
 * - `migrated`: every migration applied, nothing else (the server's first start does the rest);
 * - `demo`: also the default permissions, the root unit and the demo archive with three days of
 *   readings, as `startTestServer()` seeds it, sealed with the run's personal-data key.
 * On PostgreSQL a template is a database (`CREATE DATABASE ... TEMPLATE`); on PGlite it is a dump
 * of the data directory that each server loads into its in-memory database.
 */
export type TemplateName = 'migrated' | 'demo';

export interface TestTemplates {
  kind: 'pglite' | 'postgresql';
  /** Per name: the template database's name (PostgreSQL) or the dump file's path (PGlite). */
  names: Record<TemplateName, string>;
  /** The personal-data keys the `demo` template was sealed with: its servers must use them. */
  personalDataKeys: string;
  /** Days of readings in the `demo` template. */
  demoDays: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absent when the run has no global setup (a file run with another configuration). */
    testTemplates?: TestTemplates;
  }
}

export const TEMPLATE_DEMO_DAYS = 3;

/** Builds the templates on the suite's database; `drop` removes them at the end of the run. */
export async function buildTemplates(
  serverUrl: string | undefined,
): Promise<{ templates: TestTemplates; drop(): Promise<void> }> {
  const personalDataKeys = `test:${randomBytes(32).toString('base64')}`;
  const run = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const dir = serverUrl ? undefined : mkdtempSync(join(tmpdir(), 'mg-templates-'));
  const names = {} as Record<TemplateName, string>;
  const created: string[] = [];
  const drop = async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (serverUrl && created.length)
      await onServer(
        serverUrl,
        created.map((n) => `drop database if exists ${n} with (force)`),
      );
  };
  try {
    for (const name of ['migrated', 'demo'] as const) {
      const database = `mg_template_${run}_${name}`;
      if (serverUrl) {
        await onServer(serverUrl, [`create database ${database}`]);
        created.push(database);
      }
      const url = serverUrl ? withDatabase(serverUrl, database) : undefined;
      const config = loadConfig({
        NODE_ENV: 'test',
        JWT_SECRET: randomBytes(32).toString('hex'),
        AUDIT_KEY: randomBytes(32).toString('hex'),
        PERSONAL_DATA_KEYS: personalDataKeys,
        DEMO: 'false',
        LOG_LEVEL: 'silent',
        DATA_DIR: dir ?? tmpdir(),
        ...(url ? { DATABASE_URL: url } : {}),
      });
      const db = await openDatabase(config, createLogger(config.logLevel), { inMemory: true });
      try {
        await migrate(db);
        if (name === 'demo') {
          const em = db.orm.em.fork() as EntityManager;
          await ensureDefaultPermissions(em);
          const root = await ensureRootOrgUnit(em);
          const cipher = new PersonalDataCipher(config.personalData.keys);
          await seedDemo(em, root, cipher, { days: TEMPLATE_DEMO_DAYS, schedules: false });
        }
        if (db.pglite) {
          const file = join(dir!, `${name}.tar`);
          writeFileSync(file, new Uint8Array(await (await db.pglite.dumpDataDir('none')).arrayBuffer()));
          names[name] = file;
        } else {
          names[name] = database;
        }
      } finally {
        await db.close();
      }
    }
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  return {
    templates: {
      kind: serverUrl ? 'postgresql' : 'pglite',
      names,
      personalDataKeys,
      demoDays: TEMPLATE_DEMO_DAYS,
    },
    drop,
  };
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
