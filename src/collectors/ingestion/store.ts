import { RegisterCode } from '../../orm/entities/enums.js';
import { pgArray } from '../../shared/pg-array.js';
import { ReadingFlag, checkReading, type MeterFacts, type PreviousValue } from './checks.js';
import type { IncomingReading, SqlExecutor } from './readings.js';
import { UPSERT_READINGS_SQL } from './upsert.js';

/**
 * The steps of the way into the reading table that every writer shares: the meter's facts and the
 * register's latest value (what the first-line checks compare with), the checks themselves, and
 * the one upsert. Ingestion runs them in batches with caches; a reading entered by hand (at the
 * desk or in the field) runs them for one value, so that it is refused or flagged exactly as a
 * collected value would be.
 */

/** Registers that accumulate (a maximum demand is not compared with the value before it). */
export const CUMULATIVE = new Set<string>(
  Object.values(RegisterCode).filter((r) => r !== RegisterCode.MAX_DEMAND_FORWARD_ACTIVE),
);

/** Flags that make a reading SUSPECT (a rollover alone is normal). */
export const SUSPECT_FLAGS = ReadingFlag.REGISTER_DECREASE | ReadingFlag.IMPLAUSIBLE_JUMP;

/** What the checks need to know of each meter: register width, installation, multiplier, the customer's capacity. */
export async function loadMeterFacts(db: SqlExecutor, meterIds: readonly number[]): Promise<Map<number, MeterFacts>> {
  const facts = new Map<number, MeterFacts>();
  if (!meterIds.length) return facts;
  const rows = await db.execute<{
    id: number;
    installed_at: Date | string | null;
    register_digits: number;
    register_decimals: number;
    multiplier: string;
    contracted_capacity: string | null;
  }>(
    `select m.id, m.installed_at, m.register_digits, m.register_decimals, (m.ct_ratio * m.pt_ratio)::text as multiplier,
            c.contracted_capacity::text as contracted_capacity
       from meter m
       left join meter_assignment a on a.meter_id = m.id and a.removed_at is null
       left join service_point sp on sp.id = a.service_point_id
       left join customer c on c.id = sp.customer_id
      where m.id in (${meterIds.map(() => '?').join(',')})`,
    [...meterIds],
  );
  for (const r of rows) {
    facts.set(Number(r.id), {
      installedAt: r.installed_at ? new Date(r.installed_at) : undefined,
      registerDigits: r.register_digits,
      registerDecimals: r.register_decimals,
      multiplier: r.multiplier,
      contractedCapacity: r.contracted_capacity ?? undefined,
    });
  }
  return facts;
}

/** The key of a (meter, register) pair in the maps below. */
export const registerKey = (meterId: number, register: string) => `${meterId}:${register}`;

/** The latest stored value of each (meter, register), by measured time: what a new value follows. */
export async function loadLatestValues(
  db: SqlExecutor,
  pairs: readonly { meterId: number; register: string }[],
): Promise<Map<string, PreviousValue>> {
  const latest = new Map<string, PreviousValue>();
  if (!pairs.length) return latest;
  const rows = await db.execute<{ meter_id: number; register: string; value: string; measured_at: Date | string }>(
    `select k.meter_id, k.register, r.value::text as value, r.measured_at
       from (values ${pairs.map(() => '(?::int, ?::text)').join(',')}) as k(meter_id, register)
       cross join lateral (
         select value, measured_at from reading x
          where x.meter_id = k.meter_id and x.register = k.register
          order by x.measured_at desc limit 1
       ) r`,
    pairs.flatMap((p) => [p.meterId, p.register]),
  );
  for (const r of rows)
    latest.set(registerKey(Number(r.meter_id), r.register), { value: r.value, measuredAt: new Date(r.measured_at) });
  return latest;
}

export interface CheckedReading {
  reading: IncomingReading;
  quality: 'GOOD' | 'SUSPECT';
  flags: number;
}

export interface StoredRow {
  id: string;
  meterId: number;
  flags: number;
  /** Known for flagged rows only (see upsert.ts). */
  register?: RegisterCode;
  /** Set when the row replaced an estimate: the measured instant. */
  replacedAt?: Date;
}

/** Writes checked readings with the one upsert; returns the rows written (a replay returns none). */
export async function upsertReadings(db: SqlExecutor, kept: readonly CheckedReading[]): Promise<StoredRow[]> {
  if (!kept.length) return [];
  // Seven array parameters unnested into rows (a VALUES list would need seven placeholders per row).
  const column = (pick: (k: CheckedReading) => string | number) => pgArray(kept.map(pick));
  const rows = await db.execute<{
    id: string | number;
    meter_id: number;
    flags: number;
    register: RegisterCode | null;
    replaced_at: Date | string | null;
  }>(UPSERT_READINGS_SQL, [
    column((k) => k.reading.meterId),
    column((k) => k.reading.register),
    column((k) => k.reading.value),
    column((k) => k.reading.measuredAt),
    column((k) => k.reading.source),
    column((k) => k.quality),
    column((k) => k.flags),
  ]);
  return rows.map((r) => ({
    id: String(r.id),
    meterId: Number(r.meter_id),
    flags: Number(r.flags),
    ...(r.register ? { register: r.register } : {}),
    ...(r.replaced_at ? { replacedAt: new Date(r.replaced_at) } : {}),
  }));
}

export type SingleOutcome =
  | { status: 'written'; row: StoredRow; quality: 'GOOD' | 'SUSPECT'; flags: number }
  /** A value already stands at this (meter, register, time): nothing was written. */
  | { status: 'exists' }
  /** The first-line checks refused the value (the input it is wrong in, and why). */
  | { status: 'refused'; reason: string; field: 'meterId' | 'measuredAt' | 'value' };

/**
 * One reading through the same checks and upsert as collected values: refused where ingestion
 * would drop it, kept as SUSPECT with the same flags where ingestion would flag it. Run it inside
 * the caller's transaction (`db` on the transaction) to write it together with what it belongs to.
 */
export async function checkAndStoreReading(
  db: SqlExecutor,
  reading: IncomingReading,
  now: Date,
): Promise<SingleOutcome> {
  const facts = await loadMeterFacts(db, [reading.meterId]);
  const latest = await loadLatestValues(db, [{ meterId: reading.meterId, register: reading.register }]);
  const meter = facts.get(reading.meterId);
  if (!meter) return { status: 'refused', reason: 'unknown meter', field: 'meterId' };
  const verdict = checkReading(
    { value: reading.value, measuredAt: new Date(reading.measuredAt), cumulative: CUMULATIVE.has(reading.register) },
    meter,
    latest.get(registerKey(reading.meterId, reading.register)),
    now,
  );
  if (!verdict.keep) return { status: 'refused', reason: verdict.reason, field: verdict.field };
  const [row] = await upsertReadings(db, [{ reading, quality: verdict.quality, flags: verdict.flags }]);
  if (!row) return { status: 'exists' };
  return { status: 'written', row, quality: verdict.quality, flags: verdict.flags };
}
