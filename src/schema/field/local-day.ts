import { addDays, localDateOf, localMidnight } from '../../billing/local-days.js';
import { OrgUnit } from '../../orm/entities/index.js';
import { effectiveTimeZones } from '../../orm/org-time-zone.js';
import type { Context } from '../common/index.js';

/** The time zone of the caller's unit (its own, else its nearest ancestor's, else the server's). */
export async function callerTimeZone(ctx: Context): Promise<string> {
  const user = ctx.access.requireUser();
  // The caller's own unit, for its path only (never shown): not a read of the org tree.
  const unit = await ctx.em.findOne(OrgUnit, { id: user.orgUnit.id }, { fields: ['id', 'path'] });
  const [zone] = await effectiveTimeZones(ctx.em, [unit?.path ?? '/'], ctx.config.defaultTimeZone);
  return zone!;
}

/** A local day as the instants [from, to): 23 or 25 hours on a clock change. */
export function localDay(date: string, zone: string): { from: Date; to: Date } {
  return { from: localMidnight(date, zone), to: localMidnight(addDays(date, 1), zone) };
}

/** Today in `zone`. */
export const today = (zone: string, now = new Date()) => localDateOf(now, zone);
