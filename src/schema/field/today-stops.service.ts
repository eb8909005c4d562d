import { z } from 'zod';
import {
  type Customer,
  type Meter,
  type MeterBox,
  WorkOrder,
  WorkOrderAssignee,
  WorkOrderStatus,
  WorkOrderStop,
  WorkOrderStopStatus,
} from '../../orm/entities/index.js';
import { validate } from '../../shared/validate.js';
import type { Context } from '../common/index.js';
import { callerTimeZone, localDay, today } from './local-day.js';
import { latitude, longitude } from '../../shared/coordinates.js';
import { onReadableOrder } from '../work-order/index.js';
import type { GeoPointInput } from './field.type.js';
import { orderRoute } from './route-order.js';

/** The most stops one route takes (2-opt is quadratic per pass); the soonest due are routed. */
export const MAX_ROUTE_STOPS = 300;

/** Orders the caller works on today: handed to them, or started. */
const WORKING: WorkOrderStatus[] = [WorkOrderStatus.ASSIGNED, WorkOrderStatus.IN_PROGRESS];

const startSchema = z.object({ latitude, longitude });

export interface RouteStop {
  stop: WorkOrderStop;
  workOrder: WorkOrder;
  meterBox: MeterBox | null;
  meter: Meter | null;
  customer: Customer | null;
  dueAt: Date;
  overdue: boolean;
  latitude: string | null;
  longitude: string | null;
  distanceFromPreviousMeters: number | null;
  cumulativeDistanceMeters: number;
}

export interface TodayRoute {
  date: string;
  timeZone: string;
  stops: RouteStop[];
  totalDistanceMeters: number;
  truncated: boolean;
}

/**
 * The pending stops of the caller's assigned or started work orders due by the end of today (in
 * their unit's time zone) or overdue, ordered for walking from `from`. A stop is placed by its
 * meter box (its own, else its meter's); boxes and meters the caller may not read place nothing.
 */
export async function todayStops(ctx: Context, from: GeoPointInput): Promise<TodayRoute> {
  const user = ctx.access.requireUser();
  const start = validate(startSchema, from, ['from']);
  const zone = await callerTimeZone(ctx);
  const date = today(zone);
  const now = new Date();
  const empty: TodayRoute = { date, timeZone: zone, stops: [], totalDistanceMeters: 0, truncated: false };
  const readable = ctx.access.where<WorkOrder>('read', 'WorkOrder');
  if (readable === null) return empty;

  const mine = await ctx.em.find(
    WorkOrderAssignee,
    { user: user.id, workOrder: { status: { $in: WORKING }, dueAt: { $lt: localDay(date, zone).to } } },
    { fields: ['workOrder'] },
  );
  const orderIds = [...new Set(mine.map((a) => a.workOrder.id))];
  if (!orderIds.length) return empty;
  const stops = await ctx.em.find(
    WorkOrderStop,
    { $and: [onReadableOrder(readable), { workOrder: { $in: orderIds }, status: WorkOrderStopStatus.PENDING }] },
    { populate: ['workOrder'], orderBy: { workOrder: { dueAt: 'asc' }, id: 'asc' }, limit: MAX_ROUTE_STOPS + 1 },
  );
  const truncated = stops.length > MAX_ROUTE_STOPS;
  const routed = stops.slice(0, MAX_ROUTE_STOPS);

  const placed = await Promise.all(
    routed.map(async (stop) => {
      const meter = stop.meter ? await ctx.loaders.meter.load(stop.meter.id) : null;
      const boxId = stop.meterBox?.id ?? meter?.meterBox?.id;
      const meterBox = boxId ? await ctx.loaders.meterBox.load(boxId) : null;
      const customer = stop.customer ? await ctx.loaders.customer.load(stop.customer.id) : null;
      return { stop, meter, meterBox, customer };
    }),
  );
  const byId = new Map(placed.map((p) => [p.stop.id, p]));
  const route = orderRoute(
    { latitude: Number(start.latitude), longitude: Number(start.longitude) },
    placed.map(({ stop, meterBox }) => ({
      id: stop.id,
      position:
        meterBox?.latitude != null && meterBox.longitude != null
          ? { latitude: Number(meterBox.latitude), longitude: Number(meterBox.longitude) }
          : undefined,
    })),
  );
  return {
    date,
    timeZone: zone,
    truncated,
    totalDistanceMeters: Math.round(route.total),
    stops: route.legs.map((leg) => {
      const { stop, meter, meterBox, customer } = byId.get(leg.id)!;
      const placedHere = leg.distance !== null;
      return {
        stop,
        workOrder: stop.workOrder,
        meter,
        meterBox,
        customer,
        dueAt: stop.workOrder.dueAt,
        overdue: stop.workOrder.dueAt < now,
        latitude: placedHere ? meterBox!.latitude! : null,
        longitude: placedHere ? meterBox!.longitude! : null,
        distanceFromPreviousMeters: leg.distance === null ? null : Math.round(leg.distance),
        cumulativeDistanceMeters: Math.round(leg.cumulative),
      };
    }),
  };
}
