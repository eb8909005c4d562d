import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config/config.js';
import { createLogger } from '../shared/logger.js';
import { redactSealed } from '../shared/personal-data.js';
import { rotatePersonalData } from './personal-data-rotation.js';

/**
 * `npm run rotate-personal-data-key [-- --batch-size=N]`: seals every customer phone and ID number
 * that is not under the current (first) key of PERSONAL_DATA_KEYS again under it, with fresh
 * hashes. Idempotent and resumable; safe beside running servers on PostgreSQL (the embedded
 * database must be stopped: one process per data directory). See docs/operations.md.
 */
async function main(): Promise<number> {
  const batchArg = process.argv.slice(2).find((a) => a.startsWith('--batch-size='));
  const batchSize = batchArg ? Number(batchArg.split('=')[1]) : 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    console.error('--batch-size must be a whole number from 1 to 10000');
    return 2;
  }
  const config = loadConfig();
  return rotatePersonalData(config, (line) => console.log(line), {
    batchSize,
    logger: createLogger(config.logLevel),
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  // Messages only: they name customers and keys, never values.
  console.error(error instanceof ConfigError ? error.message : `failed: ${redactSealed((error as Error).message)}`);
  process.exitCode = 1;
}
