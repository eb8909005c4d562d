import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import {
  Meter,
  MeterStatus,
  OrgUnit,
  Reading,
  ReadingQuality,
  ReadingSource,
  RegisterCode,
} from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { badField, conflict } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { pgArray } from '../../shared/pg-array.js';
import { UPSERT_READINGS_SQL } from '../../collectors/ingestion/upsert.js';
import { publishReadingsCorrected } from '../../shared/events.js';
import { validate } from '../../shared/validate.js';
import { OrderDirection, paginate, type PageArgs } from '../common/connection.js';
import type { Context } from '../common/context.js';
import { localId } from '../common/refs.js';
import { subtreeCondition } from '../common/subtree.js';
import type { ReadingFilter, ReadingOrder, RecordManualReadingInput } from './reading.type.js';

const DAY_MS = 86_400_000;

export async function listReadings(
  ctx: Context,
  filter: ReadingFilter,
  order: ReadingOrder | undefined,
  page: PageArgs,
) {
  if (!(filter.to > filter.from)) throw badField(['filter', 'to'], 'must be after filter.from');
  const maxDays = ctx.config.maxReadingRangeDays;
  if (filter.to.getTime() - filter.from.getTime() > maxDays * DAY_MS) {
    throw badField(['filter', 'to'], `the time range may span at most ${maxDays} days`);
  }
  if ((filter.meterIds?.length ?? 0) > ctx.config.maxPageSize) {
    throw badField(['filter', 'meterIds'], `at most ${ctx.config.maxPageSize} meters at once`);
  }
  const where = ctx.access.where<Reading>('read', 'Reading');
  const conditions: FilterQuery<Reading>[] = [{ measuredAt: { $gte: filter.from, $lt: filter.to } }];
  if (filter.meterIds?.length) {
    conditions.push({
      meter: { $in: filter.meterIds.map((id, i) => localId(id, 'Meter', ['filter', 'meterIds', i])) },
    });
  }
  if (filter.orgUnitSubtree) {
    conditions.push(
      await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['meter', 'orgUnit']),
    );
  }
  if (filter.registers?.length) conditions.push({ register: { $in: filter.registers } });
  if (filter.sources?.length) conditions.push({ source: { $in: filter.sources } });
  if (filter.qualities?.length) conditions.push({ quality: { $in: filter.qualities } });
  return paginate(
    ctx.em,
    Reading,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'measuredAt', direction: order?.direction ?? OrderDirection.ASC },
    ctx.config.maxPageSize,
    true,
  );
}

const manualSchema = z.object({
  meterId: z.string(),
  register: z.enum(RegisterCode),
  value: formats.registerValue,
  measuredAt: z.date().refine((d) => d <= new Date(Date.now() + 5 * 60_000), 'must not be in the future'),
});

/**
 * A meter reader's reading. Replaying the same (meter, register, time) is a CONFLICT, never a
 * second row; over an ESTIMATED value it replaces the estimate.
 */
export async function recordManualReading(ctx: Context, input: RecordManualReadingInput): Promise<Reading> {
  ctx.access.assert('create', 'Reading');
  const data = validate(manualSchema, input);
  // The meter must be one on which the user may create readings (the create rule, not the read rule).
  const meterWhere = ctx.access.whereOn<Meter>('create', 'Reading', 'Meter');
  const meterId = localId(data.meterId, 'Meter', ['input', 'meterId']);
  const meter = meterWhere === null ? null : await ctx.em.findOne(Meter, { $and: [meterWhere, { id: meterId }] });
  if (!meter) throw badField(['input', 'meterId'], 'Meter not found or not accessible');
  if (meter.status !== MeterStatus.INSTALLED)
    throw badField(['input', 'meterId'], `the meter is ${meter.status}, not INSTALLED`);
  if (meter.installedAt && data.measuredAt < meter.installedAt)
    throw badField(['input', 'measuredAt'], 'is before the meter was installed');
  if (new Dec(data.value).gte(new Dec(10).pow(meter.registerDigits))) {
    throw badField(['input', 'value'], `exceeds the meter's ${meter.registerDigits}-digit register`);
  }
  // A reading over an estimate replaces it (the estimate is kept as a version); over anything
  // else it is a conflict.
  const rows: { id: string; replaced_at: Date | string | null }[] = await ctx.em
    .getConnection()
    .execute(UPSERT_READINGS_SQL, [
      pgArray([meter.id]),
      pgArray([data.register]),
      pgArray([data.value]),
      pgArray([data.measuredAt.toISOString()]),
      pgArray([ReadingSource.MANUAL]),
      pgArray([ReadingQuality.GOOD]),
      pgArray([0]),
    ]);
  if (!rows.length) {
    throw conflict('A reading of this register at this time already exists', [
      { path: ['input', 'measuredAt'], message: 'already has a reading' },
    ]);
  }
  if (rows[0]!.replaced_at) publishReadingsCorrected(ctx.events, [{ meterId: meter.id, measuredAt: data.measuredAt }]);
  const reading = await ctx.em.findOneOrFail(Reading, { id: String(rows[0]!.id) });
  const orgUnit = await ctx.em.findOneOrFail(OrgUnit, meter.orgUnit.id);
  ctx.events.publish('READING_RECORDED', { readingId: reading.id, meterId: meter.id, orgPath: orgUnit.path });
  return reading;
}
