import type { FilterQuery } from '@mikro-orm/core';
import {
  Alarm,
  AlarmStatus,
  Customer,
  Meter,
  MeterBox,
  type Reading,
  RegisterCode,
  WorkOrder,
  WorkOrderStatus,
  WorkOrderStop,
} from '../../orm/entities/index.js';
import { AppError, ErrorCode, badField } from '../../shared/errors.js';
import type { Context } from '../common/index.js';
import { ScanKind } from './field.type.js';

/** Alarms and tasks a scan lists at most: a box's few meters rarely have more. */
const MAX_LISTED = 100;
/** Meters of a box a scan lists at most. */
const MAX_BOX_METERS = 100;
const REGISTERS = Object.values(RegisterCode);
const OPEN_ALARMS = [AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED];
const DONE = [WorkOrderStatus.APPROVED, WorkOrderStatus.CLOSED];

export interface ScannedMeter {
  meter: Meter;
  customer: Customer | null;
  latestReadings: Reading[];
}

export interface BarcodeScan {
  kind: ScanKind;
  meter: Meter | null;
  meterBox: MeterBox | null;
  meters: ScannedMeter[];
  customers: Customer[];
  openAlarms: Alarm[];
  openTasks: WorkOrder[];
}

/** One answer for a code that names nothing and for one the caller may not read: codes reveal nothing. */
const nothingFound = () => new AppError(ErrorCode.NOT_FOUND, 'No meter or meter box with this code is visible to you');

/** The meter (by barcode, else asset number) or meter box (by barcode) a code names, if readable. */
async function find(ctx: Context, code: string): Promise<{ meter: Meter } | { box: MeterBox } | null> {
  const meterWhere = ctx.access.where<Meter>('read', 'Meter');
  if (meterWhere !== null) {
    const meters = await ctx.em.find(Meter, { $and: [meterWhere, { $or: [{ barcode: code }, { assetNo: code }] }] });
    // A barcode is what a scanner reads; an asset number that happens to equal it comes second.
    const meter = meters.find((m) => m.barcode === code) ?? meters[0];
    if (meter) return { meter };
  }
  const boxWhere = ctx.access.where<MeterBox>('read', 'MeterBox');
  const box = boxWhere === null ? null : await ctx.em.findOne(MeterBox, { $and: [boxWhere, { barcode: code }] });
  return box ? { box } : null;
}

/**
 * What a field worker standing at a meter or a meter box needs (paper 3.4: scan a customer's
 * barcode to get their information): the meter or the box's meters, who they measure, their
 * latest readings, open alarms and open work. Everything goes through the caller's read rules;
 * what they may not read is left out (a box's meters of another unit, an order of another station).
 */
export async function scanBarcode(ctx: Context, rawCode: string): Promise<BarcodeScan> {
  ctx.access.requireUser();
  const code = rawCode.trim();
  if (!/^[\x21-\x7e]{1,64}$/.test(code)) throw badField(['code'], 'must be 1-64 printable characters');
  const found = await find(ctx, code);
  if (!found) throw nothingFound();

  const meter = 'meter' in found ? found.meter : null;
  const meterBox =
    'box' in found ? found.box : meter?.meterBox ? await ctx.loaders.meterBox.load(meter.meterBox.id) : null;
  const meters =
    meter !== null
      ? [meter]
      : (await ctx.loaders.meterBoxMeters.load({ parentId: meterBox!.id, first: MAX_BOX_METERS })).slice(
          0,
          MAX_BOX_METERS,
        );
  const meterIds = meters.map((m) => m.id);

  const scanned = await Promise.all(
    meters.map(async (m): Promise<ScannedMeter> => {
      const assignment = await ctx.loaders.openAssignmentByMeter.load(m.id);
      const point = assignment ? await ctx.loaders.servicePoint.load(assignment.servicePoint.id) : null;
      const customer = point ? await ctx.loaders.customer.load(point.customer.id) : null;
      const readings = await Promise.all(
        REGISTERS.map((register) => ctx.loaders.latestReading.load({ meterId: m.id, register })),
      );
      return { meter: m, customer, latestReadings: readings.filter((r): r is Reading => r !== null) };
    }),
  );
  const customers = [
    ...new Map(scanned.flatMap((s) => (s.customer ? [[s.customer.id, s.customer] as const] : []))).values(),
  ];
  const customerIds = customers.map((c) => c.id);

  const [openAlarms, openTasks] = await Promise.all([
    alarmsOf(ctx, meterIds),
    tasksAbout(ctx, meterIds, meterBox?.id, customerIds),
  ]);
  return {
    kind: meter ? ScanKind.METER : ScanKind.METER_BOX,
    meter,
    meterBox,
    meters: scanned,
    customers,
    openAlarms,
    openTasks,
  };
}

async function alarmsOf(ctx: Context, meterIds: number[]): Promise<Alarm[]> {
  const where = ctx.access.where<Alarm>('read', 'Alarm');
  if (where === null || !meterIds.length) return [];
  return ctx.em.find(
    Alarm,
    { $and: [where, { meter: { $in: meterIds }, status: { $in: OPEN_ALARMS } }] },
    { orderBy: { lastAt: 'desc', id: 'desc' }, limit: MAX_LISTED },
  );
}

/** Orders not approved or closed about the meters, the box or their customers, or visiting them. */
async function tasksAbout(
  ctx: Context,
  meterIds: number[],
  boxId: number | undefined,
  customerIds: number[],
): Promise<WorkOrder[]> {
  const where = ctx.access.where<WorkOrder>('read', 'WorkOrder');
  if (where === null) return [];
  const about: FilterQuery<WorkOrder>[] = [];
  if (meterIds.length) about.push({ meter: { $in: meterIds } });
  if (boxId !== undefined) about.push({ meterBox: boxId });
  if (customerIds.length) about.push({ customer: { $in: customerIds } });
  if (!about.length) return [];
  // Which orders have a stop here; the orders themselves are then read through the caller's rule.
  const stops = await ctx.em.find(
    WorkOrderStop,
    { $or: about as FilterQuery<WorkOrderStop>[] },
    {
      fields: ['workOrder'],
      limit: 1000,
    },
  );
  const visiting = [...new Set(stops.map((s) => s.workOrder.id))];
  if (visiting.length) about.push({ id: { $in: visiting } });
  return ctx.em.find(
    WorkOrder,
    { $and: [where, { status: { $nin: DONE } }, about.length === 1 ? about[0]! : { $or: about }] },
    { orderBy: { dueAt: 'asc', id: 'asc' }, limit: MAX_LISTED },
  );
}
