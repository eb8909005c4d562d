import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  areaLineLoss,
  DEFAULT_LOSS_BAND,
  lossBalance,
  lossRatePercent,
  type AreaLineLoss,
} from '../../billing/line-loss.js';
import { addDays, datesIn, daysBetween, localMidnight } from '../../billing/local-days.js';
import { OrgUnit, OrgUnitKind } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { badField, badInput, forbidden, type FieldIssue } from '../../shared/errors.js';
import { toGlobalId } from '../../shared/global-id.js';
import {
  type Connection,
  type Context,
  emptyConnection,
  loadPermitted,
  OrderDirection,
  type PageArgs,
  pageSize,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import { type ConsumptionProblemKind, loadRegisterValues } from '../consumption/index.js';
import { loadAreaMetering, meterIdsOfAreas } from './area-metering.js';
import {
  LineLossGranularity,
  type LineLossAreaType,
  type LineLossBandType,
  type LineLossFilter,
  type LineLossStatus,
  type LineLossSuspectKind,
  type LineLossTotalsType,
  type SetLineLossBandInput,
} from './line-loss.type.js';
import { effectiveTimeZones } from '../../orm/org-time-zone.js';

export const MAX_PERIOD_DAYS = 366;
export const MAX_DAILY_DAYS = 92;

/** An area's line loss in the API's shape (the engine's result with global IDs and the area row). */
export type AreaLineLossResult = Omit<LineLossAreaType, 'area'> & { area: OrgUnit };

export const bandOf = (unit: Pick<OrgUnit, 'lineLossMin' | 'lineLossMax'>): LineLossBandType =>
  unit.lineLossMin != null && unit.lineLossMax != null
    ? { min: unit.lineLossMin, max: unit.lineLossMax, isDefault: false }
    : { ...DEFAULT_LOSS_BAND, isDefault: true };

/**
 * Line loss of many transformer areas over the local dates [from, to), each in its own time zone:
 * the metering in four statements, and the register values of every meter at every boundary
 * (the period's ends, the day boundaries when `daily`, and the start of the period of the same
 * length before, for each meter's history) in ONE loadRegisterValues call, whatever the number of
 * areas. The areas are not checked against any user's permissions: callers pass permitted ones.
 */
export async function computeLineLoss(
  em: EntityManager,
  areas: readonly { unit: OrgUnit; zone: string }[],
  from: string,
  to: string,
  daily = false,
): Promise<AreaLineLossResult[]> {
  if (!areas.length) return [];
  const historyFrom = addDays(from, -daysBetween(from, to));
  const dates = daily ? [...datesIn(from, to), to] : [from, to];
  const zones = [...new Set(areas.map((a) => a.zone))];
  const instants = zones.flatMap((zone) => [historyFrom, ...dates].map((d) => localMidnight(d, zone)));
  // Membership is decided on the period itself (its earliest start and latest end over the zones).
  const starts = zones.map((zone) => localMidnight(from, zone).getTime());
  const ends = zones.map((zone) => localMidnight(to, zone).getTime());
  const metering = await loadAreaMetering(
    em,
    areas.map((a) => a.unit),
    new Date(Math.min(...starts)),
    new Date(Math.max(...ends)),
  );
  const values = await loadRegisterValues(em, meterIdsOfAreas(metering.values()), instants, ['TOTAL']);
  return areas.map(({ unit, zone }) => {
    const area = metering.get(unit.id)!;
    const at = (d: string) => localMidnight(d, zone);
    const loss = areaLineLoss(area, values.get, at(from), at(to), at(historyFrom));
    const days = daily
      ? dates.slice(0, -1).map((date, i) => {
          const day = lossBalance(area, values.get, at(date), at(dates[i + 1]!));
          return {
            ...balanceFields(day),
            date,
            excludedCount: day.excluded.length,
          };
        })
      : null;
    return {
      ...balanceFields(loss),
      area: unit,
      timeZone: zone,
      from,
      to,
      supplyEstimated: loss.supplyEstimated,
      band: { ...loss.band, isDefault: !area.band },
      meterCount: loss.meterCount,
      estimatedCount: loss.estimatedCount,
      excluded: loss.excluded.map((e) => ({
        meterId: toGlobalId('Meter', e.meterId),
        meterLocalId: e.meterId,
        customerLocalId: e.customerId,
        reason: e.reason as ConsumptionProblemKind,
        detail: e.detail,
      })),
      suspects: loss.suspects.map((s) => ({
        meterId: toGlobalId('Meter', s.meterId),
        meterLocalId: s.meterId,
        customerLocalId: s.customerId,
        kind: s.kind as LineLossSuspectKind,
        score: s.score,
        detail: s.detail,
      })),
      days,
    };
  });
}

function balanceFields(b: Omit<AreaLineLoss, 'suspects'>) {
  return {
    startsAt: b.start,
    endsAt: b.end,
    hours: b.hours,
    status: b.status as LineLossStatus,
    statusDetail: b.statusDetail,
    supplyKwh: b.supplyKwh,
    customersKwh: b.customersKwh,
    lossKwh: b.lossKwh,
    lossRate: b.lossRate,
    qualified: b.qualified,
    includedCount: b.includedCount,
  };
}

/**
 * For reports (the settlement report shows each area's line loss): the line loss of the given
 * transformer areas over [from, to), each in its own time zone (`defaultTimeZone` where no unit
 * above it sets one), keyed by area id: the figures `lineLoss` shows. Ids that are not
 * transformer areas are left out. No permission check: the report checks its own scope.
 */
export async function lineLossOfAreas(
  em: EntityManager,
  areaIds: readonly number[],
  from: string,
  to: string,
  defaultTimeZone: string,
): Promise<Map<number, AreaLineLossResult>> {
  const units = areaIds.length
    ? await em.find(
        OrgUnit,
        { id: { $in: [...areaIds] }, kind: OrgUnitKind.TRANSFORMER_AREA },
        { orderBy: { id: 'asc' } },
      )
    : [];
  // Each area in its own time zone (its unit's or its nearest ancestor's), as `lineLoss` does.
  const zones = await effectiveTimeZones(
    em,
    units.map((u) => u.path),
    defaultTimeZone,
  );
  const results = await computeLineLoss(
    em,
    units.map((unit, i) => ({ unit, zone: zones[i]! })),
    from,
    to,
  );
  return new Map(results.map((r) => [r.area.id, r]));
}

/** The range of local dates, checked: `to` after `from`, and not too long for the granularity. */
function checkRange(filter: LineLossFilter, granularity: LineLossGranularity) {
  const days = daysBetween(filter.from, filter.to);
  if (days <= 0) throw badField(['filter', 'to'], 'must be after from');
  const max = granularity === LineLossGranularity.DAY ? MAX_DAILY_DAYS : MAX_PERIOD_DAYS;
  if (days > max) throw badField(['filter', 'to'], `at most ${max} days after from with granularity ${granularity}`);
}

/**
 * The `lineLoss` root field: a page of the transformer areas the caller may read, and whose
 * readings it may read, under the subtree, each with its line loss.
 */
export async function listLineLoss(
  ctx: Context,
  filter: LineLossFilter,
  granularity: LineLossGranularity,
  page: PageArgs,
) {
  ctx.access.assert('read', 'OrgUnit');
  ctx.access.assert('read', 'Reading');
  // A key limited to collection channels reads some meters of an area, never a whole area's balance.
  if (ctx.access.channelIds) throw forbidden('Line loss needs the readings of whole transformer areas');
  checkRange(filter, granularity);
  pageSize(page.first, ctx.config.maxPageSize);
  const units = ctx.access.where<OrgUnit>('read', 'OrgUnit');
  // Areas under which the caller may read readings: a loss is a sum over all of them.
  const readings = ctx.access.whereOn<OrgUnit>('read', 'Reading', 'OrgUnit');
  if (units === null || readings === null) return emptyConnection<AreaLineLossResult>();
  const conditions: FilterQuery<OrgUnit>[] = [units, readings, { kind: OrgUnitKind.TRANSFORMER_AREA }];
  if (filter.orgUnitSubtree)
    conditions.push(await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], []));
  const connection = await paginate(
    ctx.em,
    OrgUnit,
    { $and: conditions },
    page,
    { field: 'id', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
  );
  const zones = await Promise.all(connection.nodes.map((u) => ctx.loaders.effectiveTimeZone.load(u.path)));
  const results = await computeLineLoss(
    ctx.em,
    connection.nodes.map((unit, i) => ({ unit, zone: zones[i]! })),
    filter.from,
    filter.to,
    granularity === LineLossGranularity.DAY,
  );
  // The same page, cursors and lazy count (assigned in place: a spread would run the count), with
  // each area's result as the node.
  const edges = connection.edges.map((e, i) => ({ cursor: e.cursor, node: results[i]! }));
  return Object.assign(connection, { nodes: results, edges }) as unknown as Connection<AreaLineLossResult>;
}

/** Sums over the areas whose loss could be computed. */
export function totalsOf(results: readonly AreaLineLossResult[]): LineLossTotalsType {
  const computed = results.filter((r) => r.status === 'OK');
  const sum = (pick: (r: AreaLineLossResult) => string | null) =>
    computed.reduce((s, r) => s.plus(pick(r) ?? 0), new Dec(0)).toFixed();
  const supplyKwh = sum((r) => r.supplyKwh);
  const lossKwh = sum((r) => r.lossKwh);
  return {
    areaCount: results.length,
    computedCount: computed.length,
    qualifiedCount: results.filter((r) => r.qualified).length,
    supplyKwh,
    customersKwh: sum((r) => r.customersKwh),
    lossKwh,
    lossRate: new Dec(supplyKwh).isZero() ? null : lossRatePercent(lossKwh, supplyKwh),
  };
}

const PERCENT = /^\d{1,3}(\.\d{1,2})?$/;

/** Sets (or, with neither end, clears) a transformer area's qualification band. */
export async function setLineLossBand(ctx: Context, input: SetLineLossBandInput) {
  const issues: FieldIssue[] = [];
  const min = input.min ?? null;
  const max = input.max ?? null;
  if ((min === null) !== (max === null)) {
    issues.push({
      path: ['input', min === null ? 'min' : 'max'],
      message: 'give both ends, or neither for the default band',
    });
  }
  for (const [name, value] of [
    ['min', min],
    ['max', max],
  ] as const) {
    if (value === null) continue;
    if (!PERCENT.test(value) || new Dec(value).gt(100))
      issues.push({ path: ['input', name], message: 'must be a percent from 0 to 100 with at most 2 decimals' });
  }
  if (!issues.length && min !== null && max !== null && new Dec(max).lt(min))
    issues.push({ path: ['input', 'max'], message: 'must be at least min' });
  if (issues.length) throw badInput(issues);
  const unit = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'update', input.orgUnitId, ['input', 'orgUnitId']);
  if (unit.kind !== OrgUnitKind.TRANSFORMER_AREA)
    throw badField(['input', 'orgUnitId'], 'only a TRANSFORMER_AREA has a line loss band');
  unit.lineLossMin = min;
  unit.lineLossMax = max;
  await ctx.em.flush();
  return { orgUnit: unit, band: bandOf(unit) };
}
