import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../shared/logger.js';
import { pgArray } from '../shared/pg-array.js';
import {
  isSealed,
  normaliseIdNumber,
  normalisePhone,
  PersonalDataError,
  SealedColumn,
  SEALED_VERSION,
  type PersonalDataCipher,
  type Sealed,
} from '../shared/personal-data.js';

/** The sealed columns of a customer: their hash columns, how a value is stored and how it is compared. */
const COLUMNS = [
  {
    column: 'phone',
    hash: 'phone_hash',
    sealed: SealedColumn.CUSTOMER_PHONE,
    // Stored as entered ("+86-138..."), compared by its digits.
    store: (clear: string) => clear,
    normalise: normalisePhone,
  },
  {
    column: 'id_number',
    hash: 'id_number_hash',
    sealed: SealedColumn.CUSTOMER_ID_NUMBER,
    // Stored as it is searched: upper-cased.
    store: normaliseIdNumber,
    normalise: normaliseIdNumber,
  },
] as const;
type Column = (typeof COLUMNS)[number];
const [PHONE, ID_NUMBER] = COLUMNS;

function sealColumn(cipher: PersonalDataCipher, c: Column, clear: string): { sealed: Sealed; hash: string } {
  return { sealed: cipher.seal(c.sealed, c.store(clear)), hash: cipher.hash(c.sealed, c.normalise(clear)) };
}

export interface CustomerPersonalData {
  phone?: string | null;
  idNumber?: string | null;
}

export interface SealedCustomerFields {
  phoneSealed?: Sealed;
  phoneHash?: string;
  idNumberSealed?: Sealed;
  idNumberHash?: string;
}

/**
 * The only way clear personal data becomes customer fields: sealed under the current key, with
 * the keyed hashes for search. Absent (undefined or null) values are left out, so the result can
 * be assigned to an existing customer without clearing anything.
 */
export function sealCustomerPersonalData(cipher: PersonalDataCipher, data: CustomerPersonalData): SealedCustomerFields {
  const fields: SealedCustomerFields = {};
  if (data.phone != null) {
    const { sealed, hash } = sealColumn(cipher, PHONE, data.phone);
    fields.phoneSealed = sealed;
    fields.phoneHash = hash;
  }
  if (data.idNumber != null) {
    const { sealed, hash } = sealColumn(cipher, ID_NUMBER, data.idNumber);
    fields.idNumberSealed = sealed;
    fields.idNumberHash = hash;
  }
  return fields;
}

/** How many stored values are under each key id; `legacy` counts clear text from before sealing. */
export interface PersonalDataCensus {
  legacy: number;
  byKey: Map<string, number>;
}

export async function personalDataCensus(em: EntityManager): Promise<PersonalDataCensus> {
  const keyOf = (column: string) =>
    `case when starts_with(${column}, '${SEALED_VERSION}:') then split_part(${column}, ':', 2) else '' end`;
  const rows: { kid: string; n: string | number }[] = await em.getConnection().execute(
    `select kid, count(*) as n from (
       select ${keyOf('phone')} as kid from customer where phone is not null
       union all
       select ${keyOf('id_number')} as kid from customer where id_number is not null
       union all
       select ${keyOf('totp_secret')} as kid from app_user where totp_secret is not null
     ) v group by kid`,
  );
  const census: PersonalDataCensus = { legacy: 0, byKey: new Map() };
  for (const row of rows) {
    if (row.kid === '') census.legacy = Number(row.n);
    else census.byKey.set(row.kid, Number(row.n));
  }
  return census;
}

interface CustomerRow {
  id: number;
  phone: string | null;
  phone_hash: string | null;
  id_number: string | null;
  id_number_hash: string | null;
}

export interface ResealOptions {
  /** Only legacy clear text (the start-up pass); otherwise everything not under the current key. */
  legacyOnly?: boolean;
  /** Rows per transaction. */
  batchSize?: number;
  /** Called after each committed batch. */
  onBatch?: (progress: ResealResult & { lastId: number }) => void;
}

export interface ResealResult {
  /** Rows that needed work. */
  rows: number;
  /** Values sealed again (or for the first time) and re-hashed. */
  values: number;
  /** Rows changed by someone else between read and write: left for the next run. */
  skipped: number;
}

/**
 * Seals every customer value that is legacy clear text or (unless `legacyOnly`) under a key other
 * than the current one, and recomputes its hash, in batches of rows ordered by id. Each batch is a
 * transaction whose update applies only where the values are still those read (a concurrent
 * update wins and is already under the current key), so the pass is idempotent, safe beside
 * running servers, and resumable: a run that stops midway leaves committed batches done and the
 * next run finds only what is left.
 */
export async function resealCustomers(
  em: EntityManager,
  cipher: PersonalDataCipher,
  opts: ResealOptions = {},
): Promise<ResealResult> {
  const batchSize = opts.batchSize ?? 500;
  const current = `${SEALED_VERSION}:${cipher.currentKeyId}:`;
  const needsWork = (column: string, hash: string) =>
    opts.legacyOnly
      ? `(${column} is not null and not starts_with(${column}, '${SEALED_VERSION}:'))`
      : `(${column} is not null and (not starts_with(${column}, ?) or ${hash} is null))`;
  const condition = COLUMNS.map((c) => needsWork(c.column, c.hash)).join(' or ');
  const conditionParams = opts.legacyOnly ? [] : COLUMNS.map(() => current);
  const stale = (value: string | null, hash: string | null) =>
    value !== null && (opts.legacyOnly ? !isSealed(value) : !cipher.isCurrent(value) || hash === null);

  /** The row with its stale values sealed again under the current key, and how many there were. */
  const reseal = (row: CustomerRow) => {
    const out = { ...row };
    let values = 0;
    for (const c of COLUMNS) {
      const value = row[c.column];
      if (value === null || !stale(value, row[c.hash])) continue;
      let clear: string;
      try {
        clear = isSealed(value) ? cipher.open(c.sealed, value) : value;
      } catch (error) {
        throw new PersonalDataError(`customer ${row.id}: ${(error as Error).message}`);
      }
      const { sealed, hash } = sealColumn(cipher, c, clear);
      out[c.column] = sealed;
      out[c.hash] = hash;
      values++;
    }
    return { row: out, values };
  };

  const result: ResealResult = { rows: 0, values: 0, skipped: 0 };
  let lastId = 0;
  for (;;) {
    const batch = await em.transactional(async (tx) => {
      const connection = tx.getConnection();
      const ctx = tx.getTransactionContext();
      const rows: CustomerRow[] = await connection.execute(
        `select id, phone, phone_hash, id_number, id_number_hash from customer
         where id > ? and (${condition}) order by id limit ?`,
        [lastId, ...conditionParams, batchSize],
        'all',
        ctx,
      );
      if (!rows.length) return undefined;
      const next = rows.map(reseal);
      // Compare-and-set: a row is written only if it still holds the values read above.
      const updated: { id: number }[] = await connection.execute(
        `update customer c
         set phone = v.phone, phone_hash = v.phone_hash, id_number = v.id_number, id_number_hash = v.id_number_hash
         from unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
           as v(id, phone, phone_hash, id_number, id_number_hash, old_phone, old_id_number)
         where c.id = v.id
           and c.phone is not distinct from v.old_phone and c.id_number is not distinct from v.old_id_number
         returning c.id`,
        [
          pgArray(next.map((n) => n.row.id)),
          pgArray(next.map((n) => n.row.phone)),
          pgArray(next.map((n) => n.row.phone_hash)),
          pgArray(next.map((n) => n.row.id_number)),
          pgArray(next.map((n) => n.row.id_number_hash)),
          pgArray(rows.map((r) => r.phone)),
          pgArray(rows.map((r) => r.id_number)),
        ],
        'all',
        ctx,
      );
      const written = new Set(updated.map((u) => Number(u.id)));
      return {
        lastId: rows[rows.length - 1]!.id,
        rows: rows.length,
        values: next.filter((n) => written.has(n.row.id)).reduce((sum, n) => sum + n.values, 0),
        skipped: rows.length - written.size,
      };
    });
    if (!batch) return result;
    lastId = batch.lastId;
    result.rows += batch.rows;
    result.values += batch.values;
    result.skipped += batch.skipped;
    opts.onBatch?.({ ...result, lastId });
  }
}

/** Stored values under key ids the configuration does not list: they cannot be read. */
/**
 * Seals the users' TOTP secrets not under the current key again under it. They are few (the
 * accounts with a one-time code), so one pass; a secret changed meanwhile is left for the next run.
 */
export async function resealTotpSecrets(em: EntityManager, cipher: PersonalDataCipher): Promise<number> {
  const column = SealedColumn.USER_TOTP_SECRET;
  const rows: { id: number; totp_secret: string }[] = await em
    .getConnection()
    .execute(
      `select id, totp_secret from app_user where totp_secret is not null and split_part(totp_secret, ':', 2) <> ?`,
      [cipher.currentKeyId],
    );
  let resealed = 0;
  for (const row of rows) {
    const sealed = cipher.seal(column, cipher.open(column, row.totp_secret));
    const result = (await em
      .getConnection()
      .execute(
        `update app_user set totp_secret = ? where id = ? and totp_secret = ?`,
        [sealed, row.id, row.totp_secret],
        'run',
      )) as unknown as { affectedRows?: number };
    resealed += result.affectedRows ?? 0;
  }
  return resealed;
}

export function unknownKeys(census: PersonalDataCensus, cipher: PersonalDataCipher): [string, number][] {
  return [...census.byKey].filter(([keyId]) => !cipher.knows(keyId));
}

/**
 * At start: refuses to run when stored values are under keys that are not configured (a key
 * dropped too early would make customers unreadable), seals legacy clear text left by a version
 * before sealing, and reminds of values still under older keys.
 */
export async function preparePersonalData(em: EntityManager, cipher: PersonalDataCipher, logger: Logger) {
  const census = await personalDataCensus(em);
  const unknown = unknownKeys(census, cipher);
  if (unknown.length) {
    throw new Error(
      `customer personal data is sealed under key(s) that PERSONAL_DATA_KEYS does not list: ${unknown
        .map(([keyId, n]) => `${keyId} (${n} values)`)
        .join(', ')}; add them back (after the current key) and run npm run rotate-personal-data-key`,
    );
  }
  if (census.legacy) {
    const sealed = await resealCustomers(em, cipher, { legacyOnly: true });
    logger.info({ values: sealed.values, rows: sealed.rows }, 'legacy personal data sealed');
  }
  const older = [...census.byKey].filter(([keyId]) => keyId !== cipher.currentKeyId);
  if (older.length) {
    logger.warn(
      { keys: Object.fromEntries(older) },
      'personal data under older keys: run npm run rotate-personal-data-key before dropping them',
    );
  }
}
