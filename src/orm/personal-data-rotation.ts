import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config/config.js';
import type { Logger } from '../shared/logger.js';
import { PersonalDataCipher } from '../shared/personal-data.js';
import { openDatabase } from './orm.js';
import {
  personalDataCensus,
  resealCustomers,
  resealTotpSecrets,
  unknownKeys,
  type PersonalDataCensus,
} from './personal-data.js';

const describe = (census: PersonalDataCensus) =>
  [
    ...[...census.byKey].sort(([a], [b]) => a.localeCompare(b)).map(([keyId, n]) => `${keyId}: ${n}`),
    ...(census.legacy ? [`clear text: ${census.legacy}`] : []),
  ].join(', ') || 'none';

/**
 * What `npm run rotate-personal-data-key` does (see personal-data-cli.ts): seals every customer
 * phone and ID number not under the current key again under it, printing progress. Returns the
 * exit code.
 */
export async function rotatePersonalData(
  config: Config,
  print: (line: string) => void,
  opts: { batchSize?: number; logger?: Logger } = {},
): Promise<number> {
  const cipher = new PersonalDataCipher(config.personalData.keys);
  const db = await openDatabase(config, opts.logger);
  try {
    const pending = await db.orm.getMigrator().getPendingMigrations();
    if (pending.length) {
      print(`the database has ${pending.length} pending migration(s): run npm run migrate first`);
      return 1;
    }
    const em = db.orm.em.fork() as EntityManager;
    const before = await personalDataCensus(em);
    const unknown = unknownKeys(before, cipher);
    if (unknown.length) {
      print(
        `values are sealed under key(s) PERSONAL_DATA_KEYS does not list: ${unknown.map(([k, n]) => `${k} (${n})`).join(', ')}; add them after the current key and run again`,
      );
      return 1;
    }
    print(`current key ${cipher.currentKeyId}; values by key before: ${describe(before)}`);
    const result = await resealCustomers(em, cipher, {
      batchSize: opts.batchSize,
      onBatch: (p) => print(`  up to customer ${p.lastId}: ${p.values} values sealed again so far`),
    });
    const totp = await resealTotpSecrets(em, cipher);
    if (totp) print(`  ${totp} one-time code secrets sealed again`);
    const after = await personalDataCensus(em);
    print(`done: ${result.values} values in ${result.rows} customers sealed again; by key now: ${describe(after)}`);
    if (result.skipped) {
      print(`${result.skipped} customers changed while this ran: run the command again to finish them`);
      return 0;
    }
    const others = cipher.keyIds.filter((k) => k !== cipher.currentKeyId);
    if (others.length && !after.legacy && [...after.byKey.keys()].every((k) => k === cipher.currentKeyId))
      print(`nothing is under ${others.join(', ')} any more: they can be removed from PERSONAL_DATA_KEYS`);
    return 0;
  } finally {
    await db.close();
  }
}
