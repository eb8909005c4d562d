import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyEntry, listArchive, readEntry, writeArchive } from '../src/backup/archive.js';
import { runCommand } from '../src/backup/command.js';
import type { Manifest, Sql } from '../src/backup/manifest.js';
import { createScratchDatabase, startTestServer, type TestServer } from './harness.js';

/**
 * `npm run backup` / `npm run restore` for both databases, whichever one the suite runs on: the
 * PostgreSQL path on the suite's server (or the local one at 127.0.0.1:5432) in scratch databases
 * of its own, the embedded path in temporary data directories. A restore must give back every
 * table row for row (count and checksum per table, sequences too) and refuse what it should.
 */
const PG_SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const work = mkdtempSync(join(tmpdir(), 'mg-backup-'));
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

/** The CLI in-process: exit status and what it printed. */
async function cli(argv: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(
    argv,
    { ...env, INIT_CWD: work },
    { log: (l) => out.push(l), error: (l) => err.push(l) },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * Every table of the public schema as "rows + md5 of all rows as text in primary key order", and
 * every sequence's position: equal fingerprints mean equal contents.
 */
async function fingerprint(sql: Sql): Promise<Record<string, string>> {
  const tables = await sql.query<{ name: string; key: string | null }>(
    `select c.relname as name,
            (select string_agg('t.' || quote_ident(a.attname), ', ' order by k.ord)
               from pg_index i cross join unnest(i.indkey) with ordinality as k(attnum, ord)
               join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
              where i.indrelid = c.oid and i.indisprimary) as key
       from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
      order by 1`,
  );
  const result: Record<string, string> = {};
  for (const { name, key } of tables.rows) {
    const [row] = (
      await sql.query<{ n: string; sum: string }>(
        `select count(*)::text as n, md5(coalesce(string_agg(t::text, E'\\n' order by ${key ?? 't::text'}), '')) as sum
           from public.${JSON.stringify(name)} t`,
      )
    ).rows;
    result[name] = `${row!.n} rows, md5 ${row!.sum}`;
  }
  const sequences = await sql.query<{ name: string }>(
    `select relname as name from pg_class where relnamespace = 'public'::regnamespace and relkind = 'S' order by 1`,
  );
  for (const { name } of sequences.rows) {
    const [row] = (
      await sql.query<{ v: string; called: boolean }>(
        `select last_value::text as v, is_called as called from public.${JSON.stringify(name)}`,
      )
    ).rows;
    result[`sequence ${name}`] = `${row!.v} ${row!.called}`;
  }
  return result;
}

async function pgFingerprint(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fingerprint({ query: async <T>(text: string) => ({ rows: (await client.query(text)).rows as T[] }) });
  } finally {
    await client.end();
  }
}

async function pgQuery(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

async function embeddedFingerprint(dataDir: string) {
  const db = new PGlite(join(dataDir, 'pglite'));
  try {
    return await fingerprint(db);
  } finally {
    await db.close();
  }
}

/** Demo data, then a few readings written through the API, as a server that has been used. */
async function useServer(server: TestServer) {
  const admin = await server.login('admin');
  const meters = await server.gql<{ meters: { nodes: { id: string }[] } }>(
    `{ meters(first: 3, filter: { statuses: [INSTALLED] }, orderBy: { field: ASSET_NO, direction: ASC }) { nodes { id } } }`,
    {},
    admin,
  );
  for (const [i, meter] of meters.data!.meters.nodes.entries()) {
    const res = await server.gql(
      `mutation($m: ID!, $t: DateTime!, $v: Decimal!) { recordManualReading(input: { meterId: $m, value: $v, measuredAt: $t }) { reading { id } } }`,
      { m: meter.id, t: new Date(Date.now() - i * 60_000).toISOString(), v: `99990.${i}` },
      admin,
    );
    expect(res.errors).toBeUndefined();
  }
}

/** A copy of a backup with its manifest changed (and the rest as it was). */
async function withManifest(file: string, change: (m: Manifest) => void, name: string): Promise<string> {
  const entries = await listArchive(file);
  const manifest = JSON.parse((await readEntry(file, entries[0]!)).toString()) as Manifest;
  change(manifest);
  const dir = mkdtempSync(join(work, 'entries-'));
  const rest = [];
  for (const entry of entries.slice(1)) {
    const target = join(dir, entry.name.replace(/\//g, '_'));
    await copyEntry(file, entry, target);
    rest.push({ name: entry.name, file: target });
  }
  const out = join(work, name);
  await writeArchive(out, [{ name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) }, ...rest]);
  return out;
}

const mode = (file: string) => statSync(file).mode & 0o777;

describe('backup and restore on PostgreSQL', () => {
  let source: string;
  let file: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    const db = await createScratchDatabase(PG_SERVER);
    cleanup.push(db.drop);
    source = db.url;
    const server = await startTestServer({ demo: true, database: { url: source } });
    try {
      await useServer(server);
    } finally {
      await server.stop();
    }
    before = await pgFingerprint(source);
  });

  it('backs up with pg_dump into one file readable only by its owner, with a manifest', async () => {
    const result = await cli(['backup', '--out', 'pg.tar'], { DATABASE_URL: source });
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    file = join(work, 'pg.tar');
    expect(result.out).toContain(`backup written: ${file}`);
    expect(mode(file)).toBe(0o600);
    const entries = await listArchive(file);
    expect(entries.map((e) => e.name)).toEqual(['manifest.json', 'database.pgdump']);
    const manifest = JSON.parse((await readEntry(file, entries[0]!)).toString()) as Manifest;
    expect(manifest).toMatchObject({ format: 'metergraph-backup', formatVersion: 1, kind: 'postgresql' });
    expect(manifest.migrations.at(-1)).toMatch(/^Migration\d+_/);
    expect(manifest.tables.reading).toBe(Number(before.reading!.split(' ')[0]));
    expect(manifest.tables.customer).toBe(300);
  });

  it('restores into an empty database row for row, and the server runs on it', async () => {
    const target = await createScratchDatabase(PG_SERVER);
    cleanup.push(target.drop);
    const result = await cli(['restore', 'pg.tar'], { DATABASE_URL: target.url });
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('row counts match the backup');
    expect(await pgFingerprint(target.url)).toEqual(before);

    const server = await startTestServer({ demo: false, database: { url: target.url } });
    try {
      await server.login('manager1');
    } finally {
      await server.stop();
    }
  });

  it('refuses a database that holds data unless forced, then replaces it whole and keeps a safety backup', async () => {
    const target = await createScratchDatabase(PG_SERVER);
    cleanup.push(target.drop);
    expect((await cli(['restore', 'pg.tar'], { DATABASE_URL: target.url })).code).toBe(0);
    // What a later version or a mistake could leave: a table the backup lacks, changed rows.
    await pgQuery(target.url, `create table stray (id int primary key); update customer set name = 'changed'`);

    const refused = await cli(['restore', 'pg.tar'], { DATABASE_URL: target.url });
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/is not empty .* pass --force to replace its contents/s);

    const forced = await cli(['restore', 'pg.tar', '--force'], { DATABASE_URL: target.url });
    expect(forced.err).toBe('');
    expect(forced.code).toBe(0);
    expect(await pgFingerprint(target.url)).toEqual(before);
    const safety = /kept in (\S+)/.exec(forced.out)![1]!;
    expect(mode(safety)).toBe(0o600);
    const manifest = JSON.parse((await readEntry(safety, (await listArchive(safety))[0]!)).toString()) as Manifest;
    expect(manifest.tables.stray).toBe(0);
  });

  it('rolls a failed restore back, leaving the database as it was', async () => {
    const target = await createScratchDatabase(PG_SERVER);
    cleanup.push(target.drop);
    expect((await cli(['restore', 'pg.tar'], { DATABASE_URL: target.url })).code).toBe(0);
    await pgQuery(target.url, `delete from reading where source = 'MANUAL'`);
    const changed = await pgFingerprint(target.url);
    expect(changed.reading).not.toBe(before.reading);
    const wrong = await withManifest(file, (m) => (m.tables.reading! += 1), 'pg-wrong-counts.tar');

    const result = await cli(['restore', wrong, '--force'], { DATABASE_URL: target.url });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/failed and was rolled back.*table reading has \d+ rows after the restore/s);
    expect(await pgFingerprint(target.url)).toEqual(changed);
  });

  it('refuses a backup of the other kind, a damaged one and one from a newer schema', async () => {
    const embeddedEnv = { DATA_DIR: mkdtempSync(join(work, 'data-')) };
    const wrongKind = await cli(['restore', 'pg.tar'], embeddedEnv);
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.err).toContain('is a backup of a PostgreSQL database, but DATABASE_URL is not set');
    expect(existsSync(join(embeddedEnv.DATA_DIR, 'pglite'))).toBe(false);

    const target = await createScratchDatabase(PG_SERVER);
    cleanup.push(target.drop);
    const env = { DATABASE_URL: target.url };

    const flipped = join(work, 'pg-flipped.tar');
    copyFileSync(file, flipped);
    const bytes = readFileSync(flipped);
    const dump = (await listArchive(file))[1]!;
    bytes[dump.offset + Math.floor(dump.size / 2)] ^= 0xff;
    writeFileSync(flipped, bytes);
    const damaged = await cli(['restore', flipped], env);
    expect(damaged.code).toBe(1);
    expect(damaged.err).toContain('database.pgdump in the backup is damaged (checksum mismatch)');

    const truncated = join(work, 'pg-truncated.tar');
    writeFileSync(truncated, readFileSync(file).subarray(0, dump.offset + 1000));
    expect((await cli(['restore', truncated], env)).err).toMatch(
      /cannot be restored: it ends inside database.pgdump \(truncated\)/,
    );

    const notBackup = join(work, 'not-a-backup.tar');
    writeFileSync(notBackup, Buffer.alloc(4096, 7));
    expect((await cli(['restore', notBackup], env)).err).toContain('it is not a Metergraph backup');

    const newerSchema = await withManifest(
      file,
      (m) => m.migrations.push('Migration29991231000000_future'),
      'pg-newer-schema.tar',
    );
    const newer = await cli(['restore', newerSchema], env);
    expect(newer.code).toBe(1);
    expect(newer.err).toContain(
      "the backup's schema is newer than this Metergraph: it has migration Migration29991231000000_future",
    );

    const newerFormat = await withManifest(file, (m) => (m.formatVersion = 2), 'pg-newer-format.tar');
    expect((await cli(['restore', newerFormat], env)).err).toContain('it was written by a newer Metergraph');

    // Nothing of the above touched the target.
    expect(
      await pgQuery(target.url, `select count(*)::int as n from pg_class where relnamespace = 'public'::regnamespace`),
    ).toEqual([{ n: 0 }]);
  });
});

describe('backup and restore of the embedded database', () => {
  let source: string;
  let file: string;
  let before: Record<string, string>;
  const journalLine =
    '[{"meterId":1,"register":"FORWARD_ACTIVE_TOTAL","value":"1","measuredAt":"2026-11-26T00:00:00.000Z","source":"AUTOMATIC"}]\n';

  beforeAll(async () => {
    source = mkdtempSync(join(work, 'data-'));
    const server = await startTestServer({ demo: true, database: { dataDir: source } });
    try {
      await useServer(server);
    } finally {
      await server.stop();
    }
    before = await embeddedFingerprint(source);
    // Readings accepted but not yet written when the server stopped belong in the backup too.
    mkdirSync(join(source, 'ingest-journal'), { recursive: true });
    writeFileSync(join(source, 'ingest-journal', '0000000007.jsonl'), journalLine);
  });

  it('refuses to back up while another process holds the data directory', async () => {
    // pid 1 is always alive: it stands for a running server.
    writeFileSync(join(source, 'LOCK'), '1');
    try {
      const result = await cli(['backup', '--out', 'never.tar'], { DATA_DIR: source });
      expect(result.code).toBe(1);
      expect(result.err).toContain(`the embedded database in ${source} is in use by process 1: stop the server first`);
      expect(existsSync(join(work, 'never.tar'))).toBe(false);
    } finally {
      writeFileSync(join(source, 'LOCK'), '999999999'); // a dead owner: the next opener takes over
    }
  });

  it('backs up the data directory into one file readable only by its owner, with a manifest', async () => {
    const result = await cli(['backup', '--out', 'embedded/'], { DATA_DIR: source });
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const [name] = readdirSync(join(work, 'embedded'));
    expect(name).toMatch(/^metergraph-embedded-\d{8}T\d{6}Z\.tar$/);
    file = join(work, 'embedded', name!);
    expect(mode(file)).toBe(0o600);
    const entries = await listArchive(file);
    expect(entries.map((e) => e.name)).toEqual(['manifest.json', 'pglite.tar.gz', 'ingest-journal/0000000007.jsonl']);
    const manifest = JSON.parse((await readEntry(file, entries[0]!)).toString()) as Manifest;
    expect(manifest).toMatchObject({ kind: 'embedded', postgres: { major: 17 } });
    expect(manifest.tables.customer).toBe(300);
  });

  it('restores into a new data directory row for row, with the journal, and the server runs on it', async () => {
    const target = join(work, 'restored');
    const result = await cli(['restore', file], { DATA_DIR: target });
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(await embeddedFingerprint(target)).toEqual(before);
    expect(readFileSync(join(target, 'ingest-journal', '0000000007.jsonl'), 'utf8')).toBe(journalLine);
    const server = await startTestServer({ demo: false, database: { dataDir: target } });
    try {
      await server.login('manager1');
    } finally {
      await server.stop();
    }
  });

  it('refuses to replace a database unless forced, keeps the old one aside, and refuses while locked', async () => {
    const target = mkdtempSync(join(work, 'data-'));
    expect((await cli(['restore', file], { DATA_DIR: target })).code).toBe(0);
    const refused = await cli(['restore', file], { DATA_DIR: target });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${target} already holds an embedded database (pglite/)`);

    writeFileSync(join(target, 'LOCK'), '1');
    const locked = await cli(['restore', file, '--force'], { DATA_DIR: target });
    expect(locked.code).toBe(1);
    expect(locked.err).toContain('is in use by process 1');
    writeFileSync(join(target, 'LOCK'), '999999999');

    const forced = await cli(['restore', file, '--force'], { DATA_DIR: target });
    expect(forced.err).toBe('');
    expect(forced.code).toBe(0);
    const safety = /kept in (\S+)/.exec(forced.out)![1]!;
    expect(safety).toMatch(new RegExp(`^${target}/before-restore-\\d{8}T\\d{6}Z$`));
    expect(readdirSync(safety).sort()).toEqual(['ingest-journal', 'pglite']);
    expect(await embeddedFingerprint(target)).toEqual(before);
  });

  it('puts the previous database back when a restore fails', async () => {
    const target = mkdtempSync(join(work, 'data-'));
    expect((await cli(['restore', file], { DATA_DIR: target })).code).toBe(0);
    const wrong = await withManifest(file, (m) => (m.tables.customer! += 1), 'embedded-wrong-counts.tar');

    const result = await cli(['restore', wrong, '--force'], { DATA_DIR: target });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/the previous database is back in place.*customer: found 300, the backup says 301/s);
    expect(readdirSync(target).sort()).toEqual(['ingest-journal', 'pglite']);
    expect(await embeddedFingerprint(target)).toEqual(before);
  });

  it('refuses an embedded backup when DATABASE_URL names a PostgreSQL database', async () => {
    const target = await createScratchDatabase(PG_SERVER);
    cleanup.push(target.drop);
    const result = await cli(['restore', file], { DATABASE_URL: target.url });
    expect(result.code).toBe(1);
    expect(result.err).toContain('is a backup of the embedded database (PGlite), but DATABASE_URL is set');
  });
});

describe('the command line', () => {
  it('says how to use it, with status 2', async () => {
    for (const argv of [[], ['restore'], ['backup', 'extra'], ['restore', 'a', 'b'], ['backup', '--bogus']]) {
      const result = await cli(argv, {});
      expect(result.code).toBe(2);
      expect(result.err).toContain('backup [--out FILE');
    }
  });

  it('never overwrites a file', async () => {
    writeFileSync(join(work, 'taken.tar'), 'x');
    const result = await cli(['backup', '--out', 'taken.tar'], { DATA_DIR: mkdtempSync(join(work, 'data-')) });
    expect(result.code).toBe(1);
    expect(result.err).toContain('taken.tar exists: a backup never overwrites a file');
  });
});
