import type { EntityManager } from '@mikro-orm/postgresql';
import { BANDS } from '../../billing/bands.js';
import { consumptionBetween, type MeterSpan, type PeriodConsumption, type ValueAt } from '../../billing/consumption.js';
import { addDays, daysBetween, localMidnight, monthOf } from '../../billing/local-days.js';
import { ServicePoint } from '../../orm/entities/index.js';
import { badField } from '../../shared/errors.js';
import { toGlobalId } from '../../shared/global-id.js';
import { type Context, loadPermitted } from '../common/index.js';
import {
  ConsumptionGranularity,
  type ConsumptionPeriodType,
  type ConsumptionProblemKind,
  type TouBand,
} from './consumption.type.js';
import { loadRegisterValues, loadServicePointSpans } from './register-values.js';

const MAX_DAYS = 366;
const MAX_MONTHS = 36;

/** Period boundaries: every local day, or the first of every month, from `from` to `to`. */
export function boundariesOf(from: string, to: string, granularity: ConsumptionGranularity): string[] {
  const dates = [from];
  for (;;) {
    const last = dates[dates.length - 1]!;
    const next = granularity === ConsumptionGranularity.DAY ? addDays(last, 1) : monthOf(last.slice(0, 7)).to;
    if (next >= to) break;
    dates.push(next);
  }
  dates.push(to);
  return dates;
}

/** A consumption result in the API's shape. */
export function periodOf(from: string, to: string, c: PeriodConsumption): ConsumptionPeriodType {
  return {
    from,
    to,
    startsAt: c.start,
    endsAt: c.end,
    hours: Math.round((c.end.getTime() - c.start.getTime()) / 3_600_000),
    total: c.total,
    bands: c.bands && BANDS.map((band) => ({ band: band as TouBand, kwh: c.bands![band] })),
    estimated: c.estimated,
    problems: c.problems.map((p) => ({
      ...p,
      kind: p.kind as ConsumptionProblemKind,
      meterId: toGlobalId('Meter', p.meterId),
    })),
    parts: c.parts.map((p) => ({ ...p, meterId: toGlobalId('Meter', p.meterId) })),
  };
}

/** Consumption of one point over consecutive local-date periods, from the values at their boundaries. */
export function periodsOf(spans: MeterSpan[], valueAt: ValueAt, dates: string[], zone: string) {
  const instants = dates.map((d) => localMidnight(d, zone));
  return dates
    .slice(0, -1)
    .map((d, i) => periodOf(d, dates[i + 1]!, consumptionBetween(spans, valueAt, instants[i]!, instants[i + 1]!)));
}

/** The meters of every span, for loading their values. */
export const meterIdsOf = (spans: Iterable<MeterSpan[]>) => [...spans].flat().map((s) => s.meterId);

export async function servicePointConsumption(
  ctx: Context,
  args: { servicePointId: string; from: string; to: string; granularity: ConsumptionGranularity },
) {
  ctx.access.assert('read', 'Reading');
  const days = daysBetween(args.from, args.to);
  if (days <= 0) throw badField(['to'], 'must be after from');
  if (args.granularity === ConsumptionGranularity.DAY && days > MAX_DAYS)
    throw badField(['to'], `daily consumption spans at most ${MAX_DAYS} days`);
  if (args.granularity === ConsumptionGranularity.MONTH && days > MAX_MONTHS * 31)
    throw badField(['to'], `monthly consumption spans at most ${MAX_MONTHS} months`);
  const point = await loadPermitted(ctx, ServicePoint, 'ServicePoint', 'read', args.servicePointId, ['servicePointId']);
  await ctx.em.populate(point, ['customer.orgUnit']);
  const zone = await ctx.loaders.effectiveTimeZone.load(point.customer.orgUnit.path);
  return consumptionSeries(ctx.em, point.id, args.from, args.to, args.granularity, zone);
}

export async function consumptionSeries(
  em: EntityManager,
  servicePointId: number,
  from: string,
  to: string,
  granularity: ConsumptionGranularity,
  zone: string,
) {
  const dates = boundariesOf(from, to, granularity);
  const spans = (await loadServicePointSpans(em, [servicePointId])).get(servicePointId)!;
  const values = await loadRegisterValues(
    em,
    spans.map((s) => s.meterId),
    dates.map((d) => localMidnight(d, zone)),
  );
  const whole = consumptionBetween(spans, values.get, localMidnight(from, zone), localMidnight(to, zone));
  return {
    servicePointId: toGlobalId('ServicePoint', servicePointId),
    timeZone: zone,
    granularity,
    whole: periodOf(from, to, whole),
    periods: periodsOf(spans, values.get, dates, zone),
  };
}
