import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { migrationsList } from '../../migrations/index.js';
import type { DatabaseConfig } from '../config/config.js';
import { ArchiveError, listArchive, readEntry, type ArchiveEntry } from './archive.js';
import { backupEmbedded, restoreEmbedded } from './embedded.js';
import {
  BackupError,
  checkSchema,
  MANIFEST,
  parseManifest,
  stamp,
  type DatabaseKind,
  type Manifest,
} from './manifest.js';
import { backupPostgres, PG_DUMP_FILE, restorePostgres, type BackupResult } from './postgres.js';

export { BackupError, type BackupResult, type DatabaseKind, type Manifest };

export const kindOf = (config: DatabaseConfig): DatabaseKind => (config.database.url ? 'postgresql' : 'embedded');

/**
 * `--out`: a file name, or a folder (one that exists, or any path ending in "/", created with mode
 * 0700) in which the backup gets a name with the kind and the time. A backup never overwrites.
 */
export function outputPath(out: string | undefined, kind: DatabaseKind, cwd = process.cwd()): string {
  const target = resolve(cwd, out ?? '.');
  const isFolder = out === undefined || out.endsWith('/') || (existsSync(target) && statSync(target).isDirectory());
  if (isFolder) {
    mkdirSync(target, { recursive: true, mode: 0o700 });
    return join(target, `metergraph-${kind}-${stamp()}.tar`);
  }
  if (existsSync(target)) throw new BackupError(`${target} exists: a backup never overwrites a file`);
  if (!existsSync(dirname(target))) throw new BackupError(`the folder ${dirname(target)} does not exist`);
  return target;
}

export interface BackupOptions {
  out?: string;
  /** Where relative paths start (npm runs scripts in the project folder; INIT_CWD is where it was called). */
  cwd?: string;
  /** Folder of pg_dump, pg_restore and psql; unset: PATH. */
  pgBinDir?: string;
}

/** Backs up the database the server would use with this configuration. */
export async function backup(config: DatabaseConfig, opts: BackupOptions = {}): Promise<BackupResult> {
  const kind = kindOf(config);
  const file = outputPath(opts.out, kind, opts.cwd);
  return kind === 'postgresql'
    ? backupPostgres(config.database.url!, file, { binDir: opts.pgBinDir })
    : backupEmbedded(config.dataDir, file);
}

/** Reads a backup's entries and manifest, checking that every file it lists is there, whole. */
export async function openBackup(file: string): Promise<{ entries: ArchiveEntry[]; manifest: Manifest }> {
  const fail = (why: string) => new BackupError(`${file} cannot be restored: ${why}`);
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  let entries: ArchiveEntry[];
  try {
    entries = await listArchive(file);
  } catch (error) {
    throw error instanceof ArchiveError ? fail(error.message) : error;
  }
  if (entries[0]?.name !== MANIFEST) throw fail(`it does not start with ${MANIFEST}, so it is not a Metergraph backup`);
  let manifest: Manifest;
  try {
    manifest = parseManifest(await readEntry(file, entries[0]));
  } catch (error) {
    throw error instanceof BackupError ? fail(error.message) : error;
  }
  for (const listed of manifest.files) {
    const entry = entries.find((e) => e.name === listed.name);
    if (!entry) throw fail(`${listed.name} is missing (damaged)`);
    if (entry.size !== listed.bytes)
      throw fail(`${listed.name} has ${entry.size} bytes, not ${listed.bytes} (damaged)`);
  }
  return { entries, manifest };
}

const KIND_NAMES: Record<DatabaseKind, string> = {
  postgresql: 'a PostgreSQL database',
  embedded: 'the embedded database (PGlite)',
};

export interface RestoreOptions extends BackupOptions {
  /** Replace a database that holds data, keeping it as a safety copy. */
  force?: boolean;
}

export interface RestoreResult {
  manifest: Manifest;
  /** Migrations this version has that the backup's schema lacks (applied by `npm run migrate` or at start). */
  pending: string[];
  /** Where the replaced contents were kept (a backup file, or a folder in DATA_DIR). */
  safety?: string;
}

/**
 * Restores a backup into the database this configuration names, after checking that the backup is
 * whole, of the same kind, and of a schema this version knows.
 */
export async function restore(config: DatabaseConfig, path: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const file = resolve(opts.cwd ?? process.cwd(), path);
  const { entries, manifest } = await openBackup(file);
  const kind = kindOf(config);
  if (manifest.kind !== kind) {
    throw new BackupError(
      `${file} is a backup of ${KIND_NAMES[manifest.kind]}, but ` +
        (kind === 'postgresql'
          ? 'DATABASE_URL is set, so this would restore into PostgreSQL. Unset DATABASE_URL and set DATA_DIR to ' +
            'the folder to restore into.'
          : `DATABASE_URL is not set, so this would restore into the embedded database in ${config.dataDir}. ` +
            'Set DATABASE_URL to the (empty) PostgreSQL database to restore into.'),
    );
  }
  const { pending } = checkSchema(
    manifest,
    migrationsList.map((m) => m.name),
  );
  if (kind === 'postgresql') {
    const result = await restorePostgres(
      config.database.url!,
      file,
      entries.find((e) => e.name === PG_DUMP_FILE)!,
      manifest,
      {
        binDir: opts.pgBinDir,
        force: opts.force,
        safetyFile: join(dirname(file), `metergraph-postgresql-${stamp()}-before-restore.tar`),
      },
    );
    return { manifest, pending, safety: result.safety?.file };
  }
  const result = await restoreEmbedded(config.dataDir, file, entries, manifest, { force: opts.force });
  return { manifest, pending, safety: result.safetyDir };
}
