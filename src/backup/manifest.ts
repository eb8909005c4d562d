import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** A backup's first entry. Bump FORMAT_VERSION when older versions could not restore a new backup. */
export const FORMAT_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const MIGRATIONS_TABLE = 'mikro_orm_migrations';

export type DatabaseKind = 'postgresql' | 'embedded';

/** 2026-11-26T19:05:03.123Z -> 20261126T190503Z: sorts by time, safe in file names. */
export const stamp = (date = new Date()) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/** Refusals and failures with a message meant for the operator; the CLI prints it and exits 1. */
export class BackupError extends Error {}

const fileSchema = z.object({ name: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string() });

const manifestSchema = z.object({
  format: z.literal('metergraph-backup'),
  formatVersion: z.number().int().positive(),
  kind: z.enum(['postgresql', 'embedded']),
  createdAt: z.string(),
  appVersion: z.string(),
  /** The PostgreSQL the data came from (for the embedded database, PGlite's). */
  postgres: z.object({ version: z.string(), major: z.number().int() }),
  /** postgresql: the database name and the pg_dump that wrote the dump. */
  database: z.string().optional(),
  pgDump: z.object({ version: z.string(), major: z.number().int() }).optional(),
  /** Names of the applied migrations, oldest first: the last one is the schema's head. */
  migrations: z.array(z.string()),
  /** Rows per table of the public schema, as dumped (checked again after a restore). */
  tables: z.record(z.string(), z.number().int().nonnegative()),
  files: z.array(fileSchema),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;

export function parseManifest(data: Buffer): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString('utf8'));
  } catch {
    throw new BackupError('its manifest is not valid JSON (damaged)');
  }
  // The version first: a newer format may have another shape, and saying "newer" beats a schema error.
  const head = z.object({ format: z.literal('metergraph-backup'), formatVersion: z.number() }).safeParse(raw);
  if (!head.success) throw new BackupError('its manifest is not a Metergraph backup manifest');
  if (head.data.formatVersion > FORMAT_VERSION) {
    throw new BackupError(
      `it was written by a newer Metergraph (backup format ${head.data.formatVersion}; this version reads up to ` +
        `${FORMAT_VERSION}): restore it with the version that made it, or a later one`,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BackupError(`its manifest is damaged: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  }
  return parsed.data;
}

/**
 * A backup whose schema has migrations this version does not know comes from a newer Metergraph:
 * this version's code would misread it. An older schema is fine: migrations bring it up to date.
 */
export function checkSchema(manifest: Manifest, known: string[]): { pending: string[] } {
  const unknown = manifest.migrations.filter((name) => !known.includes(name));
  if (unknown.length) {
    throw new BackupError(
      `the backup's schema is newer than this Metergraph: it has migration ${unknown.join(', ')}, which this ` +
        `version (${appVersion()}) does not know. Restore it with Metergraph ${manifest.appVersion} or later.`,
    );
  }
  return { pending: known.filter((name) => !manifest.migrations.includes(name)) };
}

/** The smallest query interface both pg.Client and PGlite offer. */
export interface Sql {
  query<T>(text: string): Promise<{ rows: T[] }>;
}

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** What a backup records of the database it read, in the same snapshot as the dump. */
export async function inventory(
  sql: Sql,
): Promise<{ postgres: Manifest['postgres']; migrations: string[]; tables: Record<string, number> }> {
  const [version] = (await sql.query<{ v: string }>(`select current_setting('server_version_num') as v`)).rows;
  const num = Number(version!.v);
  const postgres = { version: `${Math.floor(num / 10000)}.${num % 10000}`, major: Math.floor(num / 10000) };
  const [found] = (
    await sql.query<{ ok: boolean }>(`select to_regclass('public.${MIGRATIONS_TABLE}') is not null as ok`)
  ).rows;
  if (!found?.ok) {
    throw new BackupError('the database holds no Metergraph schema (no migrations table): nothing to back up');
  }
  const migrations = (
    await sql.query<{ name: string }>(`select name from public.${MIGRATIONS_TABLE} order by id`)
  ).rows.map((r) => r.name);
  return { postgres, migrations, tables: await countRows(sql) };
}

/** Rows per table of the public schema (partitions counted with their parent). */
export async function countRows(sql: Sql): Promise<Record<string, number>> {
  const names = (
    await sql.query<{ name: string }>(
      `select c.relname as name from pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
        order by 1`,
    )
  ).rows.map((r) => r.name);
  if (!names.length) return {};
  const counts = await sql.query<{ name: string; n: string }>(
    names
      .map(
        (name) => `select '${name.replace(/'/g, "''")}' as name, count(*)::text as n from public.${quoteIdent(name)}`,
      )
      .join(' union all '),
  );
  return Object.fromEntries(counts.rows.map((r) => [r.name, Number(r.n)]));
}

/** Tables whose row count differs, as "name: found N, the backup says M". */
export function countDifferences(expected: Record<string, number>, found: Record<string, number>): string[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(found)])].sort();
  return names
    .filter((name) => expected[name] !== found[name])
    .map((name) => `${name}: found ${found[name] ?? 'no table'}, the backup says ${expected[name] ?? 'no table'}`);
}

let version: string | undefined;

/** This installation's version, from the package.json above this file (src/ or dist/src/). */
export function appVersion(): string {
  if (version) return version;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'metergraph') return (version = pkg.version ?? 'unknown');
    }
    if (dirname(dir) === dir) return (version = 'unknown');
  }
}
