import type { EntityManager } from '@mikro-orm/postgresql';
import {
  AlarmRaiser,
  checkAndStoreReading,
  type SqlExecutor,
  type StoredRow,
  suspectReadingAlarms,
} from '../../collectors/index.js';
import { Meter, MeterStatus, OrgUnit, Reading, ReadingSource, type RegisterCode } from '../../orm/entities/index.js';
import { badField, conflict } from '../../shared/errors.js';
import { publishReadingsCorrected } from '../../shared/events.js';
import type { Context } from '../common/index.js';

/**
 * Readings entered by hand, at the desk (recordManualReading) or at a work order's stop
 * (recordStopReading). They take the way collected values take (src/collectors/ingestion/store.ts):
 * the same first-line checks and the one upsert, stored with source MANUAL. A value ingestion would
 * drop (in the future, before installation, wider than the register) is refused with the input
 * field it is wrong in; a value ingestion would flag (a decrease, an implausible jump) is stored as
 * SUSPECT with the same flags and raises the same alarm.
 */

export interface HandValue {
  meter: Meter;
  register: RegisterCode;
  /** Exact decimal string, already of the register value format. */
  value: string;
  measuredAt: Date;
}

/** Where each part of the value sits in the caller's input, for error paths. */
export interface HandValuePaths {
  meterId: (string | number)[];
  value: (string | number)[];
  measuredAt: (string | number)[];
}

export interface StoredHandReading {
  reading: Reading;
  row: StoredRow;
  meter: Meter;
}

/** The statements of `em` (and of its transaction, when it runs in one) for the ingestion steps. */
export const sqlOf = (em: EntityManager): SqlExecutor => ({
  execute: (text, params) => em.getConnection().execute(text, params, 'all', em.getTransactionContext()),
});

/**
 * Checks and stores one value read by a person. Replaying the same (meter, register, time) is a
 * CONFLICT, never a second row; over an ESTIMATED value it replaces the estimate (kept as a
 * version). Writes nothing when it throws.
 */
export async function storeHandReading(
  em: EntityManager,
  value: HandValue,
  paths: HandValuePaths,
  now = new Date(),
): Promise<StoredHandReading> {
  const { meter } = value;
  if (meter.status !== MeterStatus.INSTALLED)
    throw badField(paths.meterId, `the meter is ${meter.status}, not INSTALLED`);
  const outcome = await checkAndStoreReading(
    sqlOf(em),
    {
      meterId: meter.id,
      register: value.register,
      value: value.value,
      measuredAt: value.measuredAt.toISOString(),
      source: ReadingSource.MANUAL,
    },
    now,
  );
  if (outcome.status === 'refused') throw badField(paths[outcome.field], outcome.reason);
  if (outcome.status === 'exists') {
    throw conflict('A reading of this register at this time already exists', [
      { path: paths.measuredAt, message: 'already has a reading' },
    ]);
  }
  const reading = await em.findOneOrFail(Reading, { id: outcome.row.id });
  return { reading, row: outcome.row, meter };
}

/**
 * What follows a stored value, once it is committed, as it follows a collected one: subscribers
 * hear of it, what was derived from a replaced estimate is recomputed, and a flagged value raises
 * its alarm. An alarm that cannot be raised is logged: the reading stands.
 */
export async function announceHandReading(ctx: Context, stored: StoredHandReading): Promise<void> {
  const { row, meter, reading } = stored;
  if (row.replacedAt) publishReadingsCorrected(ctx.events, [{ meterId: meter.id, measuredAt: row.replacedAt }]);
  const orgUnit = await ctx.em.findOneOrFail(OrgUnit, meter.orgUnit.id);
  ctx.events.publish('READING_RECORDED', { readingId: reading.id, meterId: meter.id, orgPath: orgUnit.path });
  const alarms = suspectReadingAlarms([{ ...row, register: reading.register }]);
  if (!alarms.length) return;
  const raiser = new AlarmRaiser(sqlOf(ctx.em), ctx.events, ctx.logger);
  for (const alarm of alarms) {
    await raiser.raise(alarm).catch((error: unknown) => {
      ctx.logger.warn({ err: error, alarm: alarm.type }, 'raising an alarm for a reading entered by hand failed');
    });
  }
}
