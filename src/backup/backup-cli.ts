import { runCommand } from './command.js';

/**
 * `npm run backup -- [--out FILE]` and `npm run restore -- FILE [--force]`; docs/operations.md,
 * "Backup and restore". Exit status 0 done, 1 refused or failed, 2 wrong usage.
 */
process.exitCode = await runCommand(process.argv.slice(2), process.env, console);
