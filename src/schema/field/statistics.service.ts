import {
  FieldPhoto,
  HazardReport,
  HazardStatus,
  WorkOrder,
  WorkOrderAssignee,
  WorkOrderStatus,
  WorkOrderStop,
  WorkOrderStopStatus,
} from '../../orm/entities/index.js';
import { badField } from '../../shared/errors.js';
import type { Context } from '../common/index.js';
import { onReadableOrder, OPEN_STATUSES } from '../work-order/index.js';
import { callerTimeZone, localDay, today } from './local-day.js';

export interface FieldStatistics {
  date: string;
  timeZone: string;
  stopsVisited: number;
  stopsSkipped: number;
  stopsPending: number;
  readingsRecorded: number;
  photosUploaded: number;
  hazardsReported: number;
  hazardsVerified: number;
  pointsEarned: number;
  openTasks: number;
}

/** How far back a day may be asked for. */
const OLDEST_DAYS = 366;

/**
 * The caller's own field work on one local day of their unit (today by default), for the phone's
 * summary screen. Choices:
 * - visits and skips count by who recorded them (visitedBy) and when (visitedAt), whatever order
 *   they belong to; a field reading is a visited stop with a value read;
 * - pending stops are those still PENDING now on the caller's assigned or started orders due by
 *   the end of that day, the same set as `todayStops`;
 * - photos, hazard reports and verifications count by their own times; points are those of the
 *   caller's reports verified that day;
 * - open tasks are the caller's orders still to be worked on now (OPEN_STATUSES), whatever the day.
 * Work orders count only where the caller may still read them.
 */
export async function fieldStatistics(ctx: Context, date?: string): Promise<FieldStatistics> {
  const user = ctx.access.requireUser();
  const zone = await callerTimeZone(ctx);
  const day = date ?? today(zone);
  const span = (() => {
    try {
      return localDay(day, zone);
    } catch {
      throw badField(['date'], 'must be a date YYYY-MM-DD');
    }
  })();
  if (span.from > new Date()) throw badField(['date'], 'must not be in the future');
  if (span.to.getTime() < Date.now() - OLDEST_DAYS * 86_400_000)
    throw badField(['date'], 'must be within the last year');
  const during = { $gte: span.from, $lt: span.to };
  const readable = ctx.access.where<WorkOrder>('read', 'WorkOrder');
  const onOrders = readable === null ? null : onReadableOrder(readable);

  const stops = async (status: WorkOrderStopStatus, extra: Record<string, unknown> = {}) =>
    onOrders === null
      ? 0
      : ctx.em.count(WorkOrderStop, { $and: [onOrders, { status, visitedBy: user.id, visitedAt: during, ...extra }] });
  const mine = async (statuses: readonly WorkOrderStatus[], dueBefore?: Date) =>
    (
      await ctx.em.find(
        WorkOrderAssignee,
        {
          user: user.id,
          workOrder: { status: { $in: [...statuses] }, ...(dueBefore ? { dueAt: { $lt: dueBefore } } : {}) },
        },
        { fields: ['workOrder'] },
      )
    ).map((a) => a.workOrder.id);

  const [visited, skipped, readings, photos, reported, verified, working, open] = await Promise.all([
    stops(WorkOrderStopStatus.VISITED),
    stops(WorkOrderStopStatus.SKIPPED),
    stops(WorkOrderStopStatus.VISITED, { fieldValue: { $ne: null } }),
    ctx.em.count(FieldPhoto, { uploadedBy: user.id, createdAt: during }),
    ctx.em.count(HazardReport, { reportedBy: user.id, reportedAt: during }),
    ctx.em.find(
      HazardReport,
      { reportedBy: user.id, status: HazardStatus.VERIFIED, verifiedAt: during },
      {
        fields: ['points'],
      },
    ),
    mine([WorkOrderStatus.ASSIGNED, WorkOrderStatus.IN_PROGRESS], span.to),
    mine(OPEN_STATUSES),
  ]);
  const countOrders = (ids: number[]) =>
    readable === null || !ids.length ? 0 : ctx.em.count(WorkOrder, { $and: [readable, { id: { $in: ids } }] });
  const pending =
    onOrders === null || !working.length
      ? 0
      : await ctx.em.count(WorkOrderStop, {
          $and: [onOrders, { workOrder: { $in: working }, status: WorkOrderStopStatus.PENDING }],
        });
  return {
    date: day,
    timeZone: zone,
    stopsVisited: visited,
    stopsSkipped: skipped,
    stopsPending: pending,
    readingsRecorded: readings,
    photosUploaded: photos,
    hazardsReported: reported,
    hazardsVerified: verified.length,
    pointsEarned: verified.reduce((sum, r) => sum + r.points, 0),
    openTasks: await countOrders(open),
  };
}
