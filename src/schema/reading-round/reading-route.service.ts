import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { MeterBox, OrgUnit, OrgUnitKind, ReadingRoute, ReadingRouteBox } from '../../orm/entities/index.js';
import { badField, conflict } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  loadPermitted,
  localId,
  mapDatabaseError,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import type { CreateReadingRouteInput, ReadingRouteFilter, UpdateReadingRouteInput } from './reading-round.type.js';
import { planRoutes, type RouteMeterRow } from './route-plan.js';

const MAX_BOXES = 2000;

export async function listReadingRoutes(ctx: Context, filter: ReadingRouteFilter | undefined, page: PageArgs) {
  const where = ctx.access.where<ReadingRoute>('read', 'ReadingRoute');
  const conditions: FilterQuery<ReadingRoute>[] = [];
  if (filter?.orgUnitSubtree) {
    conditions.push(await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['orgUnit']));
  }
  if (filter?.readingDay !== undefined && filter.readingDay !== null) {
    if (!Number.isInteger(filter.readingDay) || filter.readingDay < 1 || filter.readingDay > 28)
      throw badField(['filter', 'readingDay'], 'must be a day of month from 1 to 28');
    conditions.push({ readingDay: filter.readingDay });
  }
  if (filter?.active !== undefined && filter.active !== null) conditions.push({ active: filter.active });
  return paginate(
    ctx.em,
    ReadingRoute,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'readingDay', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
  );
}

/** The station a route is made for, where the caller may `action` reading routes. */
async function stationFor(
  ctx: Context,
  globalId: string,
  path: (string | number)[],
  action: 'create' | 'update',
): Promise<OrgUnit> {
  const where = ctx.access.whereOn<OrgUnit>(action, 'ReadingRoute', 'OrgUnit');
  const id = localId(globalId, 'OrgUnit', path);
  const unit = where === null ? null : await ctx.em.findOne(OrgUnit, { $and: [where, { id }] });
  if (!unit) throw badField(path, 'OrgUnit not found or not accessible');
  if (unit.kind !== OrgUnitKind.SUPPLY_STATION) throw badField(path, `is a ${unit.kind}, not a SUPPLY_STATION`);
  return unit;
}

/**
 * The installed meters of the station's active customers, each with the box it hangs in (the
 * meter's own box, else its service point's) and its customer's reading terms. Boxes and meters
 * outside the station's subtree are left out: a route shows nothing of another station.
 */
async function stationMeters(em: EntityManager, station: OrgUnit): Promise<RouteMeterRow[]> {
  const rows: {
    box_id: number;
    barcode: string;
    latitude: string | null;
    longitude: string | null;
    billing_day: number;
    reading_window_start: string;
    reading_window_end: string;
  }[] = await em.execute(
    `select b.id as box_id, b.barcode, b.latitude::text as latitude, b.longitude::text as longitude,
            c.billing_day, c.reading_window_start, c.reading_window_end
       from meter_assignment a
       join meter m on m.id = a.meter_id and m.status = 'INSTALLED'
       join service_point sp on sp.id = a.service_point_id
       join customer c on c.id = sp.customer_id and c.status = 'ACTIVE'
       join meter_box b on b.id = coalesce(m.meter_box_id, sp.meter_box_id)
       join org_unit cu on cu.id = c.org_unit_id
       join org_unit mu on mu.id = m.org_unit_id
       join org_unit bu on bu.id = b.org_unit_id
      where a.removed_at is null and cu.path like ? and mu.path like ? and bu.path like ?`,
    [`${station.path}%`, `${station.path}%`, `${station.path}%`],
  );
  return rows.map((r) => ({
    boxId: Number(r.box_id),
    barcode: r.barcode,
    latitude: r.latitude,
    longitude: r.longitude,
    billingDay: Number(r.billing_day),
    windowStart: r.reading_window_start,
    windowEnd: r.reading_window_end,
  }));
}

const generatedName = (station: OrgUnit, day: number, start: string, end: string) =>
  `${station.code} day ${String(day).padStart(2, '0')} ${start}-${end}`;

/** Puts the boxes on a route that has none, in walking order (flushed by the caller). */
function addBoxes(em: EntityManager, route: ReadingRoute, boxIds: readonly number[]): void {
  boxIds.forEach((boxId, i) =>
    em.persist(
      em.create(ReadingRouteBox, {
        route,
        meterBox: em.getReference(MeterBox, boxId),
        seq: i + 1,
        active: route.active,
      }),
    ),
  );
}

/** Unique index names of routes, mapped to the input fields they guard. */
const ROUTE_CONSTRAINTS = { reading_route_box_active_uq: 'meterBoxIds' };

async function inTransaction<T>(ctx: Context, work: (em: EntityManager) => Promise<T>): Promise<T> {
  try {
    return await ctx.em.transactional(work);
  } catch (error) {
    throw mapDatabaseError(error, ['input'], ROUTE_CONSTRAINTS) ?? error;
  }
}

/**
 * Builds or refreshes the station's generated routes: one per (billing day, reading window) of its
 * customers, each box on the terms most of its customers have, walked nearest box first. Boxes on
 * a route made by hand stay there. Generated routes whose terms no box has any more become
 * inactive (kept for the record); running it again with the same archive changes nothing.
 */
export async function generateReadingRoutes(ctx: Context, orgUnitId: string) {
  ctx.access.assert('create', 'ReadingRoute');
  ctx.access.assert('update', 'ReadingRoute');
  const station = await stationFor(ctx, orgUnitId, ['input', 'orgUnitId'], 'create');
  return inTransaction(ctx, async (em) => {
    // One generation of a station at a time: the second waits and then finds the first's routes.
    await em.findOneOrFail(OrgUnit, station.id, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const held: { meter_box_id: number }[] = await em.execute(
      `select rb.meter_box_id from reading_route_box rb join reading_route r on r.id = rb.route_id
        where rb.active and not (r.generated and r.org_unit_id = ?)`,
      [station.id],
    );
    const elsewhere = new Set(held.map((h) => Number(h.meter_box_id)));
    const plans = planRoutes((await stationMeters(em, station)).filter((r) => !elsewhere.has(r.boxId)));
    const existing = await em.find(ReadingRoute, { orgUnit: station, generated: true }, { orderBy: { id: 'asc' } });
    const keyOf = (r: { readingDay: number; windowStart: string; windowEnd: string }) =>
      `${r.readingDay} ${r.windowStart} ${r.windowEnd}`;
    const byKey = new Map<string, ReadingRoute>();
    for (const route of existing) if (!byKey.has(keyOf(route))) byKey.set(keyOf(route), route);
    const kept = new Set<ReadingRoute>();
    // Routes that lose their place first, so that their boxes are free for the others.
    const planned = new Set(plans.map(keyOf));
    const deactivated = existing.filter((r) => r.active && !planned.has(keyOf(r)));
    if (deactivated.length) {
      for (const route of deactivated) route.active = false;
      await em.nativeUpdate(ReadingRouteBox, { route: { $in: deactivated.map((r) => r.id) } }, { active: false });
      await em.flush();
    }
    const routes: ReadingRoute[] = [];
    for (const plan of plans) {
      let route = byKey.get(keyOf(plan));
      if (!route) {
        route = em.create(ReadingRoute, {
          name: generatedName(station, plan.readingDay, plan.windowStart, plan.windowEnd),
          orgUnit: station,
          readingDay: plan.readingDay,
          windowStart: plan.windowStart,
          windowEnd: plan.windowEnd,
          generated: true,
        });
        em.persist(route);
        await em.flush();
      }
      route.active = true;
      kept.add(route);
      routes.push(route);
    }
    // Every refreshed route's boxes are taken off before any are put back: a box moving from one
    // route to another is never on two active routes at once.
    if (routes.length) await em.nativeDelete(ReadingRouteBox, { route: { $in: routes.map((r) => r.id) } });
    for (const [i, plan] of plans.entries()) addBoxes(em, routes[i]!, plan.boxIds);
    await em.flush();
    return { readingRoutes: routes, deactivated };
  });
}

const localTime = formats.localTime;
const readingDay = z.number().int().min(1, 'must be from 1 to 28').max(28, 'must be from 1 to 28');
const routeSchema = z.object({
  name: formats.name,
  readingDay,
  windowStart: localTime,
  windowEnd: localTime,
  meterBoxIds: z.array(z.string()).min(1, 'a route needs at least one meter box').max(MAX_BOXES),
});

/**
 * The boxes named, in order: each a box the caller may read, of the station, named once, and on no
 * other active route (unless `route` is that route).
 */
async function boxesFor(
  ctx: Context,
  em: EntityManager,
  station: OrgUnit,
  globalIds: readonly string[],
  path: (string | number)[],
  active: boolean,
  route?: ReadingRoute,
): Promise<number[]> {
  const ids = globalIds.map((g, i) => localId(g, 'MeterBox', [...path, i]));
  const where = ctx.access.where<MeterBox>('read', 'MeterBox');
  const found =
    where === null ? [] : await em.find(MeterBox, { $and: [where, { id: { $in: ids } }] }, { populate: ['orgUnit'] });
  const byId = new Map(found.map((b) => [b.id, b]));
  const seen = new Set<number>();
  ids.forEach((id, i) => {
    const box = byId.get(id);
    if (!box) throw badField([...path, i], 'MeterBox not found or not accessible');
    if (!box.orgUnit.path.startsWith(station.path))
      throw badField([...path, i], "is not a meter box of the route's station");
    if (seen.has(id)) throw badField([...path, i], 'names a meter box twice');
    seen.add(id);
  });
  // An inactive route may keep boxes that other routes read meanwhile.
  const taken = active
    ? await em.find(ReadingRouteBox, {
        meterBox: { $in: ids },
        active: true,
        ...(route ? { route: { $ne: route.id } } : {}),
      })
    : [];
  if (taken.length) {
    const first = ids.indexOf(taken[0]!.meterBox.id);
    throw conflict('A meter box is already on another active reading route', [
      { path: [...path, first], message: 'is already on another active reading route' },
    ]);
  }
  return ids;
}

const windowCheck = (start: string, end: string, path: (string | number)[]) => {
  if (start === end) throw badField(path, 'must differ from windowStart');
};

export async function createReadingRoute(ctx: Context, input: CreateReadingRouteInput): Promise<ReadingRoute> {
  ctx.access.assert('create', 'ReadingRoute');
  const data = validate(routeSchema.extend({ orgUnitId: z.string() }), input);
  windowCheck(data.windowStart, data.windowEnd, ['input', 'windowEnd']);
  const station = await stationFor(ctx, data.orgUnitId, ['input', 'orgUnitId'], 'create');
  return inTransaction(ctx, async (em) => {
    const boxIds = await boxesFor(ctx, em, station, data.meterBoxIds, ['input', 'meterBoxIds'], true);
    const route = em.create(ReadingRoute, {
      name: data.name,
      orgUnit: station,
      readingDay: data.readingDay,
      windowStart: data.windowStart,
      windowEnd: data.windowEnd,
    });
    em.persist(route);
    await em.flush();
    addBoxes(em, route, boxIds);
    await em.flush();
    return route;
  });
}

const updateSchema = z.object({
  id: z.string(),
  name: routeSchema.shape.name.nullish(),
  readingDay: readingDay.nullish(),
  windowStart: localTime.nullish(),
  windowEnd: localTime.nullish(),
  meterBoxIds: routeSchema.shape.meterBoxIds.nullish(),
  active: z.boolean().nullish(),
});

/** Changes a route. A generated route changed by hand becomes the station's own: regeneration leaves it alone. */
export async function updateReadingRoute(ctx: Context, input: UpdateReadingRouteInput): Promise<ReadingRoute> {
  const data = validate(updateSchema, input);
  const route = await loadPermitted(ctx, ReadingRoute, 'ReadingRoute', 'update', data.id);
  const station = await ctx.em.findOneOrFail(OrgUnit, route.orgUnit.id);
  const windowStart = data.windowStart ?? route.windowStart;
  const windowEnd = data.windowEnd ?? route.windowEnd;
  windowCheck(windowStart, windowEnd, ['input', data.windowEnd ? 'windowEnd' : 'windowStart']);
  return inTransaction(ctx, async (em) => {
    const active = data.active ?? route.active;
    let boxIds: number[] | undefined;
    if (data.meterBoxIds)
      boxIds = await boxesFor(ctx, em, station, data.meterBoxIds, ['input', 'meterBoxIds'], active, route);
    else if (active && !route.active) {
      // Taken back into service: its boxes must not have gone to another active route meanwhile.
      const current = await em.find(ReadingRouteBox, { route }, { orderBy: { seq: 'asc' } });
      const taken = await em.count(ReadingRouteBox, {
        meterBox: { $in: current.map((b) => b.meterBox.id) },
        active: true,
        route: { $ne: route.id },
      });
      if (taken) {
        throw conflict('A meter box of the route is on another active reading route', [
          { path: ['input', 'active'], message: 'a meter box of the route is on another active reading route' },
        ]);
      }
    }
    if (data.name) route.name = data.name;
    if (data.readingDay) route.readingDay = data.readingDay;
    route.windowStart = windowStart;
    route.windowEnd = windowEnd;
    route.active = active;
    route.generated = false;
    if (boxIds) {
      await em.nativeDelete(ReadingRouteBox, { route: route.id });
      addBoxes(em, route, boxIds);
    } else await em.nativeUpdate(ReadingRouteBox, { route: route.id }, { active });
    await em.flush();
    return route;
  });
}
