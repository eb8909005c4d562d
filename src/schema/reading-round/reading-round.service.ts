import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import {
  Customer,
  Meter,
  MeterBox,
  OrgUnit,
  ReadingRoute,
  WorkOrder,
  WorkOrderKind,
  WorkOrderStop,
} from '../../orm/entities/index.js';
import { badField } from '../../shared/errors.js';
import { validate } from '../../shared/validate.js';
import { type Context, loadPermitted } from '../common/index.js';
import { checkAssignees, creationChange, publishWorkOrderChanged, setAssignees } from '../work-order/index.js';
import type { StartReadingRoundInput } from './reading-round.type.js';
import { readingWindowEnd } from './round-due.js';
import { assertMayCreateWorkOrdersIn, caller, futureDue, zoneOf } from './order-planning.js';

/** Stops are numbered in a smallint. */
const MAX_STOPS = 32_767;

export interface RouteStop {
  meterId: number;
  meterBoxId: number;
  customerId: number | null;
}

/**
 * The installed meters on the route's boxes, in walking order (boxes by their place on the route,
 * meters of a box by barcode), each with the customer it measures now. Meters of another station
 * hanging in one of its boxes are left out: the round's people could not see them.
 */
export async function routeStops(em: EntityManager, route: ReadingRoute, station: OrgUnit): Promise<RouteStop[]> {
  const rows: { meter_id: number; meter_box_id: number; customer_id: number | null }[] = await em.execute(
    `select m.id as meter_id, rb.meter_box_id, sp.customer_id
       from reading_route_box rb
       join meter m on m.meter_box_id = rb.meter_box_id and m.status = 'INSTALLED'
       join org_unit mu on mu.id = m.org_unit_id and mu.path like ?
       left join meter_assignment a on a.meter_id = m.id and a.removed_at is null
       left join service_point sp on sp.id = a.service_point_id
      where rb.route_id = ?
      order by rb.seq, m.barcode, m.id`,
    [`${station.path}%`, route.id],
  );
  return rows.map((r) => ({
    meterId: Number(r.meter_id),
    meterBoxId: Number(r.meter_box_id),
    customerId: r.customer_id === null ? null : Number(r.customer_id),
  }));
}

const startSchema = z.object({
  routeId: z.string(),
  dueAt: z.date().nullish(),
  assigneeIds: z.array(z.string()).min(1, 'name the people who read the round').max(20),
});

/**
 * A check-reading round of a route (周期核抄): a PERIODIC_CHECK_READING work order for the route's
 * station with one stop per installed meter on its boxes, assigned to the people named (under the
 * two-person rule, two different people). Due by default at the end of the reading window on the
 * route's next reading day, local time. The order is ASSIGNED: its people start it.
 */
export async function startReadingRound(ctx: Context, input: StartReadingRoundInput) {
  const data = validate(startSchema, input);
  const route = await loadPermitted(ctx, ReadingRoute, 'ReadingRoute', 'read', data.routeId, ['input', 'routeId']);
  const station = await ctx.em.findOneOrFail(OrgUnit, route.orgUnit.id);
  await assertMayCreateWorkOrdersIn(ctx, station, ['input', 'routeId']);
  if (!route.active) throw badField(['input', 'routeId'], 'the route is not active');
  const now = new Date();
  const dueAt =
    futureDue(data.dueAt ?? undefined, ['input', 'dueAt'], now) ??
    readingWindowEnd(
      now,
      await zoneOf(ctx.em, station, ctx.config.defaultTimeZone),
      route.readingDay,
      route.windowStart,
      route.windowEnd,
    );
  const kind = WorkOrderKind.PERIODIC_CHECK_READING;
  // People are checked before anything is written: a refusal leaves no order behind.
  const people = await checkAssignees(ctx, { kind, orgUnit: station }, data.assigneeIds, ['input', 'assigneeIds']);
  const stops = await routeStops(ctx.em, route, station);
  if (!stops.length) throw badField(['input', 'routeId'], 'the route has no installed meter to read');
  if (stops.length > MAX_STOPS) throw badField(['input', 'routeId'], `a round reads at most ${MAX_STOPS} meters`);
  const createdBy = await caller(ctx);
  const result = await ctx.em.transactional(async (em) => {
    const order = em.create(WorkOrder, {
      kind,
      title: `Check reading round: ${route.name}`.slice(0, 200),
      description: `Route ${route.name}: reading day ${route.readingDay}, window ${route.windowStart}-${route.windowEnd}, ${stops.length} meters.`,
      orgUnit: station,
      dueAt,
      createdBy,
    });
    em.persist(order);
    const rows = stops.map((s, i) =>
      em.create(WorkOrderStop, {
        workOrder: order,
        seq: i + 1,
        meter: em.getReference(Meter, s.meterId),
        meterBox: em.getReference(MeterBox, s.meterBoxId),
        customer: s.customerId === null ? undefined : em.getReference(Customer, s.customerId),
      }),
    );
    em.persist(rows);
    await em.flush();
    await setAssignees(em, order, people);
    await em.flush();
    return { order, stops: rows };
  });
  await publishWorkOrderChanged(ctx, result.order, creationChange(result.order));
  return { workOrder: result.order, stops: result.stops };
}
