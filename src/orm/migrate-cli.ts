import 'reflect-metadata';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../shared/logger.js';
import { migrate, openDatabase } from './orm.js';

/**
 * `npm run migrate` applies pending migrations; `npm run migration:create` writes a new migration
 * from the difference between the entities and the database (run it against a migrated database).
 */
const config = loadConfig();
const logger = createLogger(config.logLevel);
const db = await openDatabase(config, logger);
try {
  if (process.argv[2] === 'create') {
    const result = await db.orm.getMigrator().createMigration('migrations', false, false);
    console.log(
      result.fileName ? `created migrations/${result.fileName}; add it to migrations/index.ts` : 'no changes',
    );
  } else {
    const applied = await migrate(db);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  }
} finally {
  await db.close();
}
