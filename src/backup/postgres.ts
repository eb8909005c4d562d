import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { copyEntry, sha256File, writeArchive, type ArchiveEntry } from './archive.js';
import {
  appVersion,
  BackupError,
  FORMAT_VERSION,
  inventory,
  MANIFEST,
  quoteIdent,
  type Manifest,
  type Sql,
} from './manifest.js';

/** The dump inside a PostgreSQL backup: pg_dump's custom format, restorable with pg_restore alone. */
export const PG_DUMP_FILE = 'database.pgdump';

export interface PgOptions {
  /** Folder of pg_dump, pg_restore and psql (PG_BIN_DIR); unset: found on PATH. */
  binDir?: string;
}

const tool = (opts: PgOptions, name: string) => (opts.binDir ? join(opts.binDir, name) : name);

/** The major version of a PostgreSQL client tool, from `--version`. */
async function toolVersion(opts: PgOptions, name: string): Promise<{ version: string; major: number }> {
  const bin = tool(opts, name);
  const output = await new Promise<string>((resolve, reject) =>
    execFile(bin, ['--version'], (error, stdout) => (error ? reject(error) : resolve(stdout))),
  ).catch((error: NodeJS.ErrnoException) => {
    throw new BackupError(
      error.code === 'ENOENT'
        ? `${bin} not found: install the PostgreSQL client tools of your server's major version ` +
            `(on Debian: postgresql-client-NN), or set PG_BIN_DIR to their folder`
        : `${bin} --version failed: ${error.message}`,
    );
  });
  const match = /\(PostgreSQL\)\s+(\d+)(\.\d+)?/.exec(output);
  if (!match) throw new BackupError(`cannot tell the version of ${bin} from "${output.trim()}"`);
  return { version: `${match[1]}${match[2] ?? ''}`, major: Number(match[1]) };
}

/**
 * libpq's connection for the client tools: the URL without its password (command lines are
 * visible to every user of the machine), the password in PGPASSWORD.
 */
function libpq(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return {
    dbname: parsed.toString(),
    env: {
      ...process.env,
      ...(password ? { PGPASSWORD: password } : {}),
      PGOPTIONS: '-c client_min_messages=warning',
    },
  };
}

const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    // The message, never the URL: it may hold a password.
    throw new BackupError(
      `cannot connect to the database in DATABASE_URL: ${(error as Error).message}` +
        ((error as { code?: string }).code === '3D000' ? ' (create it first: createdb NAME)' : ''),
    );
  }
  return client;
}

const asSql = (client: pg.Client): Sql => ({
  query: async <T>(text: string) => ({ rows: (await client.query(text)).rows as T[] }),
});

/** Resolves with the exit code; collects the end of stderr for the error message. */
function finished(child: ChildProcess, name: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.on('error', (error) => reject(new BackupError(`${name} could not run: ${error.message}`)));
    child.on('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new BackupError(`${name} failed (${signal ?? `exit ${code}`}):\n${stderr.trim()}`)),
    );
  });
}

export interface BackupResult {
  file: string;
  bytes: number;
  manifest: Manifest;
}

/**
 * Dumps the database with pg_dump (custom format) while the server keeps running. The row counts
 * of the manifest and the dump see the same data: pg_dump uses the snapshot of the transaction
 * that counted.
 */
export async function backupPostgres(url: string, out: string, opts: PgOptions = {}): Promise<BackupResult> {
  const pgDump = await toolVersion(opts, 'pg_dump');
  const work = await mkdtemp(join(dirname(out), '.metergraph-backup-'));
  try {
    const dumpFile = join(work, PG_DUMP_FILE);
    const client = await connect(url);
    let facts: Awaited<ReturnType<typeof inventory>>;
    try {
      const [server] = (await client.query<{ v: string }>(`select current_setting('server_version_num') as v`)).rows;
      const serverMajor = Math.floor(Number(server!.v) / 10000);
      if (pgDump.major < serverMajor) {
        throw new BackupError(
          `pg_dump ${pgDump.version} is older than the server (PostgreSQL ${serverMajor}) and cannot dump it: ` +
            `install postgresql-client-${serverMajor}, or set PG_BIN_DIR to its bin folder`,
        );
      }
      await client.query('begin isolation level repeatable read read only');
      const [{ snapshot }] = (await client.query<{ snapshot: string }>('select pg_export_snapshot() as snapshot'))
        .rows as [{ snapshot: string }];
      facts = await inventory(asSql(client));
      const { dbname, env } = libpq(url);
      const child = spawn(
        tool(opts, 'pg_dump'),
        ['--format=custom', `--snapshot=${snapshot}`, '--no-password', `--file=${dumpFile}`, `--dbname=${dbname}`],
        { env, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      await finished(child, 'pg_dump');
      await client.query('commit');
    } finally {
      await client.end().catch(() => {});
    }
    const manifest: Manifest = {
      format: 'metergraph-backup',
      formatVersion: FORMAT_VERSION,
      kind: 'postgresql',
      createdAt: new Date().toISOString(),
      appVersion: appVersion(),
      postgres: facts.postgres,
      database: databaseName(url),
      pgDump,
      migrations: facts.migrations,
      tables: facts.tables,
      files: [{ name: PG_DUMP_FILE, bytes: (await stat(dumpFile)).size, sha256: await sha256File(dumpFile) }],
    };
    const bytes = await writeArchive(out, [
      { name: MANIFEST, data: Buffer.from(JSON.stringify(manifest, null, 2)) },
      { name: PG_DUMP_FILE, file: dumpFile },
    ]);
    return { file: out, bytes, manifest };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Relations of the public schema; a database with none is empty enough to restore into. */
async function publicRelations(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select relname as name from pg_class
      where relnamespace = 'public'::regnamespace and relkind in ('r', 'p', 'v', 'm', 'S', 'f') order by 1`,
  );
  return rows.map((r) => r.name);
}

/**
 * Statements that empty the public schema of everything but extensions (which the dump creates
 * "if not exists"), keeping the schema itself with its owner and grants.
 */
async function emptyPublicSchema(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ sql: string }>(
    `with mine as (
       select c.oid, c.relkind, c.relname from pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
          and not c.relispartition
          and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e'))
     select format('drop %s if exists public.%I cascade;',
              case relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence'
                           when 'f' then 'foreign table' else 'table' end, relname) as sql, 1 as step
       from mine
     union all
     select format('drop %s if exists %s cascade;', case p.prokind when 'a' then 'aggregate' else 'routine' end,
                   p.oid::regprocedure), 2
       from pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
     union all
     select format('drop %s if exists %s cascade;', case t.typtype when 'd' then 'domain' else 'type' end, t.oid::regtype), 3
       from pg_type t
      where t.typnamespace = 'public'::regnamespace and t.typtype in ('e', 'd', 'r', 'c')
        and (t.typtype <> 'c' or (select relkind from pg_class where oid = t.typrelid) = 'c')
        and not exists (select 1 from pg_depend d where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype = 'e')
     order by step, sql`,
  );
  return rows.map((r) => r.sql).join('\n');
}

/**
 * After the data, before COMMIT: the restored row counts must be the manifest's, or the whole
 * restore rolls back.
 */
function verifyCounts(tables: Record<string, number>): string {
  const tag = `$verify_${randomBytes(6).toString('hex')}$`;
  const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const checks = Object.entries(tables).map(
    ([name, rows]) =>
      `  if to_regclass(${literal(`public.${quoteIdent(name)}`)}) is null then
    raise exception 'table % is missing after the restore', ${literal(name)};
  end if;
  execute format('select count(*) from public.%I', ${literal(name)}) into n;
  if n <> ${rows} then
    raise exception 'table % has % rows after the restore, the backup says ${rows}', ${literal(name)}, n;
  end if;`,
  );
  return `do ${tag}
declare n bigint;
begin
${checks.join('\n')}
end ${tag};\n`;
}

export interface PgRestoreOptions extends PgOptions {
  /** Replace a database that is not empty (after writing a safety backup of it to `safetyFile`). */
  force?: boolean;
  safetyFile: string;
}

export interface PgRestoreResult {
  database: string;
  /** The safety backup of what the target held, when --force replaced something. */
  safety?: BackupResult;
}

/**
 * Restores into the database of `url` in ONE transaction: pg_restore turns the dump into SQL
 * (without owners and grants: everything belongs to the user of DATABASE_URL), psql runs it between
 * our BEGIN and COMMIT, preceded (with --force) by emptying the public schema and followed by the
 * row-count check. Any failure, or this process dying, leaves the target as it was.
 */
export async function restorePostgres(
  url: string,
  archive: string,
  entry: ArchiveEntry,
  manifest: Manifest,
  opts: PgRestoreOptions,
): Promise<PgRestoreResult> {
  const pgRestore = await toolVersion(opts, 'pg_restore');
  await toolVersion(opts, 'psql');
  if (manifest.pgDump && pgRestore.major < manifest.pgDump.major) {
    throw new BackupError(
      `the dump was written by pg_dump ${manifest.pgDump.version}; pg_restore ${pgRestore.version} cannot read it: ` +
        `install postgresql-client-${manifest.pgDump.major}, or set PG_BIN_DIR to its bin folder`,
    );
  }
  const database = databaseName(url);
  const client = await connect(url);
  let prologue = '';
  let safety: BackupResult | undefined;
  try {
    const existing = await publicRelations(client);
    if (existing.length && !opts.force) {
      throw new BackupError(
        `database "${database}" is not empty (${existing.length} tables, sequences or views, e.g. ` +
          `${existing.slice(0, 3).join(', ')}). Restore into a new empty database (createdb NAME, then point ` +
          `DATABASE_URL at it), or pass --force to replace its contents; a safety backup of them is written first.`,
      );
    }
    if (existing.length) {
      safety = await backupPostgres(url, opts.safetyFile, opts).catch((error: Error) => {
        throw new BackupError(`the safety backup of "${database}" failed, nothing was restored: ${error.message}`);
      });
      prologue = await emptyPublicSchema(client);
    }
  } finally {
    await client.end().catch(() => {});
  }

  const work = await mkdtemp(join(dirname(archive), '.metergraph-restore-'));
  try {
    const dumpFile = join(work, PG_DUMP_FILE);
    const expected = manifest.files.find((f) => f.name === PG_DUMP_FILE)!;
    if ((await copyEntry(archive, entry, dumpFile)) !== expected.sha256) {
      throw new BackupError(`${PG_DUMP_FILE} in the backup is damaged (checksum mismatch); nothing was restored`);
    }
    const { dbname, env } = libpq(url);
    const script = spawn(tool(opts, 'pg_restore'), ['--no-owner', '--no-privileges', '--file=-', dumpFile], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const scriptDone = finished(script, 'pg_restore');
    scriptDone.catch(() => {}); // awaited below, inside the feed
    const psql = spawn(
      tool(opts, 'psql'),
      ['-X', '-q', '--no-password', '-v', 'ON_ERROR_STOP=1', `--dbname=${dbname}`, '-f', '-'],
      { env, stdio: ['pipe', 'ignore', 'pipe'] },
    );
    const psqlDone = finished(psql, 'psql');
    // Our own BEGIN and COMMIT rather than psql --single-transaction, which COMMITs at the end of
    // its input: if the feed stops early, psql's session ends inside the transaction and the
    // server rolls it back.
    async function* feed() {
      yield `begin;\n${prologue}\n`;
      for await (const chunk of script.stdout!) yield chunk as Buffer;
      await scriptDone;
      yield `${verifyCounts(manifest.tables)}commit;\n`;
    }
    const fed = pipeline(feed, psql.stdin!);
    const [feedResult, psqlResult] = await Promise.allSettled([fed, psqlDone]);
    if (psqlResult.status === 'rejected') throw psqlResult.reason;
    if (feedResult.status === 'rejected') throw feedResult.reason;
  } catch (error) {
    const reason = error instanceof BackupError ? error.message : String(error);
    throw new BackupError(
      `restoring into "${database}" failed and was rolled back; the database is as it was.\n${reason}`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { database, safety };
}
