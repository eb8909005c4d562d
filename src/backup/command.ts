import { parseArgs } from 'node:util';
import { ConfigError, loadDatabaseConfig } from '../config/config.js';
import { backup, BackupError, kindOf, restore, type Manifest } from './backup.js';

export const USAGE = `Back up and restore the database of DATABASE_URL, or the embedded one in DATA_DIR.

  backup [--out FILE | --out FOLDER/]   write a backup (default: ./metergraph-<kind>-<time>.tar)
  restore FILE [--force]                restore FILE; --force replaces a database that holds data,
                                        keeping what was there as a safety copy

PG_BIN_DIR names the folder of pg_dump, pg_restore and psql when PATH has the wrong version.
Exit status: 0 done, 1 refused or failed (the message says why), 2 wrong usage.`;

export interface Output {
  log(line: string): void;
  error(line: string): void;
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function describe(manifest: Manifest): string {
  const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
  const head = manifest.migrations.at(-1) ?? 'none';
  return `${rows} rows in ${Object.keys(manifest.tables).length} tables, schema at ${head}`;
}

/** The CLI, apart from the process: returns the exit status. */
export async function runCommand(argv: string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  let args: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  try {
    args = parse();
  } catch (error) {
    out.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = args.positionals;
  const { out: outPath, force, help } = args.values;
  if (help) {
    out.log(USAGE);
    return 0;
  }
  const valid =
    (command === 'backup' && rest.length === 0 && !force) ||
    (command === 'restore' && rest.length === 1 && outPath === undefined);
  if (!valid) {
    out.error(USAGE);
    return 2;
  }

  let config: ReturnType<typeof loadDatabaseConfig>;
  try {
    config = loadDatabaseConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.error(error.message);
    return 1;
  }
  const common = { cwd: env.INIT_CWD || process.cwd(), pgBinDir: env.PG_BIN_DIR || undefined };
  const started = Date.now();
  try {
    if (command === 'backup') {
      const result = await backup(config, { ...common, out: outPath });
      out.log(`backup written: ${result.file}`);
      out.log(`  ${kindOf(config)}, ${describe(result.manifest)}; ${megabytes(result.bytes)} in ${seconds(started)}`);
      return 0;
    }
    const result = await restore(config, rest[0]!, { ...common, force });
    const { manifest } = result;
    out.log(
      `restored ${rest[0]} (made ${manifest.createdAt} by Metergraph ${manifest.appVersion}) into ` +
        (config.database.url ? `database "${new URL(config.database.url).pathname.slice(1)}"` : config.dataDir),
    );
    out.log(`  ${describe(manifest)}; row counts match the backup; ${seconds(started)}`);
    if (result.safety) out.log(`  what the database held before is kept in ${result.safety}`);
    if (result.pending.length) {
      out.log(
        `  the backup's schema is ${result.pending.length} migration(s) behind this version: ` +
          'run `npm run migrate` (the server also migrates at start)',
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof BackupError) {
      out.error(`${command} failed: ${error.message}`);
      return 1;
    }
    out.error(`${command} failed: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
