import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { addDays, daysBetween, localDateOf, localMidnight } from '../../billing/local-days.js';
import type { DailyValues, RegisterValue } from '../../billing/vee-rules.js';
import { type EstimationMethod, Meter, OrgUnit, RegisterCode } from '../../orm/entities/index.js';
import { notFound } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import { type Context, escapeLike, localId } from '../common/index.js';

/**
 * A value stands for the local midnight nearest to it when it is within an hour of it: the daily
 * frozen value, possibly with a clock error (which CLOCK judges with a smaller tolerance). Values
 * further away are interval or on-demand reads, not daily values.
 */
export const DAILY_WINDOW_MS = 3_600_000;

/** The longest range one validation or estimation may cover (a quarter). */
export const MAX_RANGE_DAYS = 92;

export const BAND_REGISTERS = [
  RegisterCode.FORWARD_ACTIVE_T1,
  RegisterCode.FORWARD_ACTIVE_T2,
  RegisterCode.FORWARD_ACTIVE_T3,
  RegisterCode.FORWARD_ACTIVE_T4,
] as const;
export const DAILY_REGISTERS = [
  RegisterCode.FORWARD_ACTIVE_TOTAL,
  ...BAND_REGISTERS,
  RegisterCode.MAX_DEMAND_FORWARD_ACTIVE,
] as const;

export interface StoredReading {
  id: string;
  meterId: number;
  register: RegisterCode;
  value: string;
  measuredAt: Date;
  source: string;
  quality: string;
  flags: number;
  estimationMethod: EstimationMethod | null;
}

/** The readings of some registers of some meters in [from, to), one statement. */
export async function loadReadings(
  em: EntityManager,
  meterIds: readonly number[],
  from: Date,
  to: Date,
  registers: readonly RegisterCode[] = DAILY_REGISTERS,
): Promise<StoredReading[]> {
  if (!meterIds.length) return [];
  const rows: {
    id: string | number;
    meter_id: number;
    register: RegisterCode;
    value: string;
    measured_at: Date | string;
    source: string;
    quality: string;
    flags: number;
    estimation_method: EstimationMethod | null;
  }[] = await em.getConnection().execute(
    `select id, meter_id, register, value::text as value, measured_at, source, quality, flags, estimation_method
       from reading
      where meter_id in (${meterIds.map(() => '?').join(',')})
        and register in (${registers.map(() => '?').join(',')})
        and measured_at >= ? and measured_at < ?
      order by meter_id, measured_at`,
    [...meterIds, ...registers, from, to],
    'all',
    em.getTransactionContext(),
  );
  return rows.map((r) => ({
    id: String(r.id),
    meterId: Number(r.meter_id),
    register: r.register,
    value: r.value,
    measuredAt: new Date(r.measured_at),
    source: r.source,
    quality: r.quality,
    flags: Number(r.flags),
    estimationMethod: r.estimation_method,
  }));
}

/** The local date whose midnight an instant stands for, when it is within the daily window. */
export function dailyDateOf(at: Date, zone: string): { date: string; midnight: Date } | undefined {
  const today = localDateOf(at, zone);
  for (const date of [today, addDays(today, 1)]) {
    const midnight = localMidnight(date, zone);
    if (Math.abs(at.getTime() - midnight.getTime()) <= DAILY_WINDOW_MS) return { date, midnight };
  }
  return undefined;
}

/**
 * One meter's readings as daily values: per local date, per register, the reading nearest to the
 * midnight (others of the same hour are not daily values).
 */
export function dailyValuesOf(readings: readonly StoredReading[], zone: string): DailyValues[] {
  const days = new Map<string, DailyValues>();
  const distance = (v: RegisterValue, midnight: Date) => Math.abs(v.measuredAt.getTime() - midnight.getTime());
  for (const r of readings) {
    const at = dailyDateOf(r.measuredAt, zone);
    if (!at) continue;
    let day = days.get(at.date);
    if (!day) {
      day = { date: at.date, midnight: at.midnight, bands: [undefined, undefined, undefined, undefined] };
      days.set(at.date, day);
    }
    const value: RegisterValue = { id: r.id, value: r.value, measuredAt: r.measuredAt };
    const keep = (current: RegisterValue | undefined) =>
      !current || distance(value, at.midnight) < distance(current, at.midnight) ? value : current;
    const band = (BAND_REGISTERS as readonly RegisterCode[]).indexOf(r.register);
    if (r.register === RegisterCode.FORWARD_ACTIVE_TOTAL) day.total = keep(day.total);
    else if (r.register === RegisterCode.MAX_DEMAND_FORWARD_ACTIVE) day.maxDemand = keep(day.maxDemand);
    else if (band >= 0) day.bands[band] = keep(day.bands[band]);
  }
  return [...days.values()].sort((a, b) => a.date.localeCompare(b.date));
}

const isDate = (text: string) => {
  try {
    localMidnight(text, 'UTC');
    return true;
  } catch {
    return false;
  }
};
// Bounded years keep every instant derived from a date (history before it, values after it) one
// that the database takes.
const localDate = formats.localDate
  .refine(isDate, 'is not a calendar date')
  .refine((date) => date >= '1970-01-01' && date <= '2199-12-31', 'must be between 1970 and 2199');

const rangeSchema = z.object({ orgUnitId: z.string(), from: localDate, to: localDate }).superRefine((range, issues) => {
  if (!isDate(range.from) || !isDate(range.to)) return;
  const days = daysBetween(range.from, range.to) + 1;
  if (days < 1) issues.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
  else if (days > MAX_RANGE_DAYS)
    issues.addIssue({ code: 'custom', path: ['to'], message: `the range may span at most ${MAX_RANGE_DAYS} days` });
});

/**
 * A VEE range: the unit (one on whose readings the caller may act: NOT_FOUND otherwise, like a
 * unit that does not exist), the dates, and the ids of the meters under it the caller may update
 * readings of.
 */
export async function resolveRange(ctx: Context, input: unknown) {
  ctx.access.assert('update', 'Reading');
  const data = validate(rangeSchema, input);
  const unitId = localId(data.orgUnitId, 'OrgUnit', ['input', 'orgUnitId']);
  const unitWhere = ctx.access.whereOn<OrgUnit>('update', 'Reading', 'OrgUnit');
  const unit = unitWhere === null ? null : await ctx.em.findOne(OrgUnit, { $and: [unitWhere, { id: unitId }] });
  if (!unit) throw notFound('OrgUnit', data.orgUnitId);
  const meterWhere = ctx.access.whereOn<Meter>('update', 'Reading', 'Meter');
  const meters =
    meterWhere === null
      ? []
      : await ctx.em.find(
          Meter,
          { $and: [meterWhere, { orgUnit: { path: { $like: `${escapeLike(unit.path)}%` } } }] },
          { fields: ['id'], orderBy: { id: 'asc' } },
        );
  return { from: data.from, to: data.to, meterIds: meters.map((m) => m.id) };
}

/** Splits work into chunks, so that one statement never carries an unbounded list. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
