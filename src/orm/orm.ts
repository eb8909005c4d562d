import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, types, type PGliteOptions } from '@electric-sql/pglite';
import { MikroORM, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { PGliteDriver } from 'mikro-orm-pglite';
import { migrationsList } from '../../migrations/index.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../shared/logger.js';
import { entities } from './entities/index.js';
import { lockDataDir } from './lock.js';

/** PostgreSQL's type id of `date` (select oid from pg_type where typname = 'date'). */

export interface Database {
  orm: MikroORM;
  embedded: boolean;
  /** The embedded database itself (PGlite), when `embedded`: for a dump of its data directory. */
  pglite?: PGlite;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Called with every SQL statement sent; used by tests that count queries. */
  onQuery?: (sql: string) => void;
  /** Use an in-memory PGlite instead of DATA_DIR (tests). */
  inMemory?: boolean;
  /**
   * An in-memory PGlite starts from this dump of a data directory (`dumpDataDir`) instead of an
   * empty database: tests start from a template migrated (and seeded) once per run.
   */
  loadDataDir?: Blob;
}

function baseOptions(logger: Logger | undefined, opts: DatabaseOptions): Partial<Options> {
  return {
    entities,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    migrations: {
      migrationsList,
      path: 'migrations',
      pathTs: 'migrations',
      emit: 'ts',
      snapshot: false,
      transactional: true,
      allOrNothing: true,
    },
    extensions: [Migrator],
    forceUtcTimezone: true,
    // BigInt keys arrive as strings: ids of readings exceed 2^53 long before the table is full.
    debug: opts.onQuery ? ['query'] : false,
    logger: opts.onQuery
      ? (message: string) => opts.onQuery!(message)
      : (message: string) => logger?.debug({ orm: message }),
    colors: false,
    allowGlobalContext: false,
  };
}

/**
 * `date` columns read as the text PostgreSQL sends ('2027-01-04'), as MikroORM's PostgreSQL driver
 * reads them: PGlite would make a Date of them, which a LocalDate field cannot serialise.
 */
const PGLITE_OPTIONS: PGliteOptions = { parsers: { [types.DATE]: (value: string) => value } };

/** Opens PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite in DATA_DIR. */
export async function openDatabase(config: Config, logger?: Logger, opts: DatabaseOptions = {}): Promise<Database> {
  if (config.database.url) {
    const orm = await MikroORM.init({
      ...baseOptions(logger, opts),
      driver: PostgreSqlDriver,
      clientUrl: config.database.url,
      pool: { min: 0, max: config.database.poolMax },
    } as Options);
    return { orm, embedded: false, close: () => orm.close(true) };
  }

  let release = () => {};
  let pglite: PGlite;
  if (opts.inMemory) {
    pglite = new PGlite({ ...PGLITE_OPTIONS, loadDataDir: opts.loadDataDir });
  } else {
    // PGlite's mkdir is not recursive: create the parent ourselves.
    mkdirSync(config.dataDir, { recursive: true });
    release = lockDataDir(config.dataDir);
    pglite = new PGlite(join(config.dataDir, 'pglite'), PGLITE_OPTIONS);
  }
  try {
    await pglite.waitReady;
    const orm = await MikroORM.init({
      ...baseOptions(logger, opts),
      driver: PGliteDriver,
      dbName: 'postgres',
      driverOptions: { connection: { pglite: () => pglite } },
    } as Options);
    return {
      orm,
      embedded: true,
      pglite,
      close: async () => {
        await orm.close(true);
        await pglite.close();
        release();
      },
    };
  } catch (error) {
    await pglite.close().catch(() => {});
    release();
    throw error;
  }
}

export async function migrate(db: Database): Promise<string[]> {
  const applied = await db.orm.getMigrator().up();
  return applied.map((m) => m.name);
}
