import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { Meter, Reading, RegisterCode } from '../../orm/entities/index.js';
import { badField } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import { type Context, localId, OrderDirection, type PageArgs, paginate, subtreeCondition } from '../common/index.js';
import type { ReadingFilter, ReadingOrder, RecordManualReadingInput } from './reading.type.js';
import { announceHandReading, storeHandReading } from './hand-reading.js';

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
  measuredAt: z.date(),
});

/**
 * A meter reader's reading, through the checks and the upsert of collected values
 * (hand-reading.ts). Replaying the same (meter, register, time) is a CONFLICT, never a second row;
 * over an ESTIMATED value it replaces the estimate.
 */
export async function recordManualReading(ctx: Context, input: RecordManualReadingInput): Promise<Reading> {
  ctx.access.assert('create', 'Reading');
  const data = validate(manualSchema, input);
  // The meter must be one on which the user may create readings (the create rule, not the read rule).
  const meterWhere = ctx.access.whereOn<Meter>('create', 'Reading', 'Meter');
  const meterId = localId(data.meterId, 'Meter', ['input', 'meterId']);
  const meter = meterWhere === null ? null : await ctx.em.findOne(Meter, { $and: [meterWhere, { id: meterId }] });
  if (!meter) throw badField(['input', 'meterId'], 'Meter not found or not accessible');
  const stored = await storeHandReading(
    ctx.em,
    { meter, register: data.register, value: data.value, measuredAt: data.measuredAt },
    { meterId: ['input', 'meterId'], value: ['input', 'value'], measuredAt: ['input', 'measuredAt'] },
  );
  await announceHandReading(ctx, stored);
  return stored.reading;
}
