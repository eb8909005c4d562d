import { z } from 'zod';
import { addDays } from '../../billing/local-days.js';
import { effectiveTimeZones } from '../../orm/org-time-zone.js';
import { LockMode } from '@mikro-orm/core';
import { Meter, OrgUnit, Reading, ReadingSource, ReadingVersion, User } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { badField, notFound } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import { type Context, localId } from '../common/index.js';
import { publishReadingsCorrected } from '../../shared/events.js';
import { dailyDateOf } from './daily-values.js';
import { effectiveRules, meterFacts } from './rule-sets.service.js';
import { validateMeters } from './validation.service.js';

const editSchema = z.object({
  readingId: z.string(),
  value: formats.registerValue,
  reason: z.string().trim().min(1, 'a reason is required').max(500, 'must be at most 500 characters'),
});

/**
 * Replaces a reading's value by hand. The value it had is kept as the next version (with the
 * reason, who and when), the reading becomes EDITED, and the rules run again for its meter over
 * the days the value takes part in (its own day and the history of the days after it).
 */
export async function editReading(ctx: Context, input: unknown): Promise<Reading> {
  ctx.access.assert('update', 'Reading');
  const data = validate(editSchema, input);
  const id = localId(data.readingId, 'Reading', ['input', 'readingId']);
  const where = ctx.access.where<Reading>('update', 'Reading');
  const found = where === null ? null : await ctx.em.findOne(Reading, { $and: [where, { id: String(id) }] });
  if (!found) throw notFound('Reading', data.readingId);
  const meter = await ctx.em.findOneOrFail(Meter, found.meter.id);
  if (new Dec(data.value).gte(new Dec(10).pow(meter.registerDigits)))
    throw badField(['input', 'value'], `exceeds the meter's ${meter.registerDigits}-digit register`);

  const user = ctx.access.requireUser();
  const reading = await ctx.em.transactional(async (tx) => {
    // Locked, so that two edits at once number their versions one after the other.
    const row = await tx.findOneOrFail(Reading, found.id, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const last: { v: number | null }[] = await tx
      .getConnection()
      .execute(
        'select max(version) as v from reading_version where reading_id = ?',
        [row.id],
        'all',
        tx.getTransactionContext(),
      );
    tx.create(ReadingVersion, {
      reading: row,
      version: Number(last[0]?.v ?? 0) + 1,
      value: row.value,
      source: row.source,
      quality: row.quality,
      flags: row.flags,
      method: row.estimationMethod,
      reason: data.reason,
      changedBy: tx.getReference(User, user.id),
    });
    row.value = data.value;
    row.source = ReadingSource.EDITED;
    row.estimationMethod = undefined;
    await tx.flush();
    return row;
  });

  const unit = await ctx.em.findOneOrFail(OrgUnit, meter.orgUnit.id);
  const [zone] = await effectiveTimeZones(ctx.em, [unit.path], ctx.config.defaultTimeZone);
  const daily = dailyDateOf(reading.measuredAt, zone!);
  if (daily) {
    const [facts] = await meterFacts(ctx.em, [meter.id]);
    const [rules] = await effectiveRules(ctx.em, [{ orgPath: facts!.orgPath, category: facts!.category }]);
    const after = Math.max(rules!.params.historyDays, rules!.params.zeroDays) + 1;
    await validateMeters(ctx.em, [meter.id], daily.date, addDays(daily.date, after), ctx.config.defaultTimeZone);
    publishReadingsCorrected(ctx.events, [{ meterId: meter.id, measuredAt: daily.midnight }]);
  } else {
    publishReadingsCorrected(ctx.events, [{ meterId: meter.id, measuredAt: reading.measuredAt }]);
  }
  return ctx.em.findOneOrFail(Reading, reading.id, { refresh: true });
}
