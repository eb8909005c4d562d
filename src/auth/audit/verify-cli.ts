import 'reflect-metadata';
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadConfig } from '../../config/config.js';
import { openDatabase } from '../../orm/orm.js';
import { createLogger } from '../../shared/logger.js';
import { verifyAuditLog } from './audit-log.js';

/**
 * `npm run audit:verify`: recomputes the audit log's hash chain with AUDIT_KEY (the same
 * configuration as the server). Prints the result as JSON; exits 1 when a record is broken, so that
 * it can run from cron or a monitoring check.
 */
const config = loadConfig();
const db = await openDatabase(config, createLogger(config.logLevel));
try {
  const result = await verifyAuditLog(db.orm.em.fork() as EntityManager, config.audit.key);
  console.log(JSON.stringify(result));
  if (!result.ok) process.exitCode = 1;
} finally {
  await db.close();
}
