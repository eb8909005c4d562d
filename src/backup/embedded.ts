import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { DataDirLockedError, lockDataDir } from '../orm/lock.js';
import {
  copyEntry,
  readEntry,
  sha256,
  sha256File,
  writeArchive,
  type ArchiveEntry,
  type ArchiveInput,
} from './archive.js';
import {
  appVersion,
  BackupError,
  countDifferences,
  countRows,
  FORMAT_VERSION,
  inventory,
  MANIFEST,
  stamp,
  type Manifest,
  type ManifestFile,
} from './manifest.js';
import type { BackupResult } from './postgres.js';

/**
 * The embedded database is PGlite's data directory (DATA_DIR/pglite). A backup is PGlite's own
 * dump of it (a gzipped tar, loaded back with `loadDataDir`), plus the ingestion journal's
 * accepted readings not yet written (DATA_DIR/ingest-journal), which the next start writes.
 */
export const PGLITE_FILE = 'pglite.tar.gz';
const DB_DIR = 'pglite';
const JOURNAL_DIR = 'ingest-journal';

/**
 * PGlite is one process per data directory: a backup or restore takes the server's lock, so it
 * refuses to run while the server (or anything else) has the directory open.
 */
function lock(dataDir: string, doing: string): () => void {
  try {
    return lockDataDir(dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    throw new BackupError(
      `the embedded database in ${dataDir} is in use` +
        (error.owner ? ` by process ${error.owner}` : '') +
        `: stop the server first, then ${doing}. An embedded database allows one process at a time.`,
    );
  }
}

const journalFiles = (dataDir: string) => {
  const dir = join(dataDir, JOURNAL_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\d{10}\.jsonl$/.test(f) && statSync(join(dir, f)).size > 0)
    .sort();
};

export async function backupEmbedded(dataDir: string, out: string): Promise<BackupResult> {
  const dbDir = join(dataDir, DB_DIR);
  if (!existsSync(join(dbDir, 'PG_VERSION'))) {
    throw new BackupError(`there is no embedded database in ${dataDir} (no ${DB_DIR}/ folder): check DATA_DIR`);
  }
  const release = lock(dataDir, 'back it up');
  try {
    const pglite = new PGlite(dbDir);
    let facts: Awaited<ReturnType<typeof inventory>>;
    let tarball: Buffer;
    try {
      await pglite.waitReady;
      facts = await inventory(pglite);
      // Data files up to date, so that the copy does not depend on replaying the WAL.
      await pglite.exec('checkpoint');
      tarball = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
    } finally {
      await pglite.close();
    }
    const inputs: ArchiveInput[] = [{ name: PGLITE_FILE, data: tarball }];
    const files: ManifestFile[] = [{ name: PGLITE_FILE, bytes: tarball.length, sha256: sha256(tarball) }];
    for (const name of journalFiles(dataDir)) {
      const file = join(dataDir, JOURNAL_DIR, name);
      inputs.push({ name: `${JOURNAL_DIR}/${name}`, file });
      files.push({ name: `${JOURNAL_DIR}/${name}`, bytes: statSync(file).size, sha256: await sha256File(file) });
    }
    const manifest: Manifest = {
      format: 'metergraph-backup',
      formatVersion: FORMAT_VERSION,
      kind: 'embedded',
      createdAt: new Date().toISOString(),
      appVersion: appVersion(),
      postgres: facts.postgres,
      migrations: facts.migrations,
      tables: facts.tables,
      files,
    };
    const bytes = await writeArchive(out, [
      { name: MANIFEST, data: Buffer.from(JSON.stringify(manifest, null, 2)) },
      ...inputs,
    ]);
    return { file: out, bytes, manifest };
  } finally {
    release();
  }
}

export interface EmbeddedRestoreResult {
  /** Where the replaced database and journal were moved, when --force replaced something. */
  safetyDir?: string;
}

/**
 * Loads the backup into DATA_DIR/pglite. An existing database is replaced only with `force`, and
 * then moved aside to DATA_DIR/before-restore-<time>/ (with its journal) rather than deleted; if
 * anything fails, it is moved back.
 */
export async function restoreEmbedded(
  dataDir: string,
  archive: string,
  entries: ArchiveEntry[],
  manifest: Manifest,
  opts: { force?: boolean },
): Promise<EmbeddedRestoreResult> {
  const dbDir = join(dataDir, DB_DIR);
  const journalDir = join(dataDir, JOURNAL_DIR);
  const entry = (name: string) => entries.find((e) => e.name === name)!;
  const journal = manifest.files.filter((f) => f.name !== PGLITE_FILE);
  // Names come from the backup: never let one write outside the journal folder.
  const bad = journal.find((f) => !new RegExp(`^${JOURNAL_DIR}/\\d{10}\\.jsonl$`).test(f.name));
  if (bad) throw new BackupError(`the backup lists an unexpected file, ${bad.name} (damaged); nothing was restored`);
  const tarball = await readEntry(archive, entry(PGLITE_FILE));
  if (sha256(tarball) !== manifest.files.find((f) => f.name === PGLITE_FILE)!.sha256) {
    throw new BackupError(`${PGLITE_FILE} in the backup is damaged (checksum mismatch); nothing was restored`);
  }

  await mkdir(dataDir, { recursive: true });
  const release = lock(dataDir, 'restore into it');
  try {
    const occupied = existsSync(dbDir) && readdirSync(dbDir).length > 0;
    if (occupied && !opts.force) {
      throw new BackupError(
        `${dataDir} already holds an embedded database (${DB_DIR}/). Restore into another DATA_DIR, or pass --force ` +
          'to replace it; the current one is then kept in DATA_DIR/before-restore-<time>/.',
      );
    }
    let safetyDir: string | undefined;
    const moved: string[] = [];
    if (occupied || journalFiles(dataDir).length) {
      safetyDir = join(dataDir, `before-restore-${stamp()}`);
      await mkdir(safetyDir, { mode: 0o700 });
      for (const name of [DB_DIR, JOURNAL_DIR]) {
        if (!existsSync(join(dataDir, name))) continue;
        await rename(join(dataDir, name), join(safetyDir, name));
        moved.push(name);
      }
    } else {
      await rm(dbDir, { recursive: true, force: true });
    }

    try {
      const pglite = new PGlite({ dataDir: dbDir, loadDataDir: new Blob([new Uint8Array(tarball)]) });
      try {
        await pglite.waitReady;
        // PGlite starts a fresh database from a tarball it cannot use: only the counts tell.
        const differences = countDifferences(manifest.tables, await countRows(pglite));
        if (differences.length) {
          throw new BackupError(`the restored database does not match the backup:\n  ${differences.join('\n  ')}`);
        }
      } finally {
        await pglite.close();
      }
      for (const file of journal) {
        await mkdir(journalDir, { recursive: true });
        const target = join(dataDir, file.name);
        if ((await copyEntry(archive, entry(file.name), target)) !== file.sha256) {
          throw new BackupError(`${file.name} in the backup is damaged (checksum mismatch)`);
        }
      }
    } catch (error) {
      await rm(dbDir, { recursive: true, force: true });
      await rm(journalDir, { recursive: true, force: true });
      for (const name of moved) await rename(join(safetyDir!, name), join(dataDir, name));
      if (safetyDir) await rm(safetyDir, { recursive: true, force: true });
      const reason =
        error instanceof BackupError
          ? error.message
          : `PGlite could not load it: ${String(error)}\n(The backup holds PostgreSQL ${manifest.postgres.version} ` +
            'data files; a PGlite built on another PostgreSQL major version cannot load them.)';
      throw new BackupError(
        `restoring into ${dataDir} failed; ${moved.length ? 'the previous database is back in place' : 'nothing was changed'}.` +
          `\n${reason}`,
      );
    }
    return { safetyDir };
  } finally {
    release();
  }
}
