import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import {
  Meter,
  ReadingSource,
  RegisterCode,
  User,
  WorkOrder,
  WorkOrderAssignee,
  WorkOrderStop,
  WorkOrderStopStatus,
} from '../../orm/entities/index.js';
import { badField, conflict, forbidden } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import { type Context, localId } from '../common/index.js';
import { announceHandReading, type StoredHandReading, storeHandReading } from '../reading/index.js';
import { allowedFrom, allows, publishWorkOrderChanged } from '../work-order/index.js';
import { automaticValueAt, checkDifference, CHECK_WINDOW_MS, type CollectedValue } from './check-reading.js';
import type { RecordStopReadingInput, SkipStopInput } from './reading-round.type.js';

/** work_order_stop keeps figures in numeric(14,4): ten digits before the point. */
const STOP_FIGURE = /^\d{1,10}(\.\d{1,4})?$/;

/**
 * A stop of a work order the caller may read, for its assignees to act on. One of another unit is
 * answered like one that does not exist.
 */
async function visibleStop(ctx: Context, globalId: string, path: (string | number)[]): Promise<WorkOrderStop> {
  const id = localId(globalId, 'WorkOrderStop', path);
  const where = ctx.access.where<WorkOrder>('read', 'WorkOrder');
  const stop = where === null ? null : await ctx.em.findOne(WorkOrderStop, { id, workOrder: where });
  if (!stop) throw badField(path, 'WorkOrderStop not found or not accessible');
  return stop;
}

/**
 * Locks the stop and its order for the change and checks that the caller may make it: only a
 * person assigned to the order, and only while the work is under way (status flow: 'visit').
 */
async function lockForVisit(
  em: EntityManager,
  stopId: number,
  user: User,
): Promise<{ stop: WorkOrderStop; order: WorkOrder }> {
  // Read again under the lock (refresh): the request's copies may predate a concurrent change.
  const stop = await em.findOneOrFail(WorkOrderStop, stopId, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  const order = await em.findOneOrFail(WorkOrder, stop.workOrder.id, {
    lockMode: LockMode.PESSIMISTIC_WRITE,
    refresh: true,
  });
  if (!(await em.count(WorkOrderAssignee, { workOrder: order.id, user: user.id })))
    throw forbidden('Only a person assigned to the work order may record its stops');
  if (!allows(order.status, 'visit')) {
    throw conflict(
      `The work order is ${order.status}; stops are recorded while it is ${allowedFrom('visit').join(' or ')}`,
      [{ path: ['input', 'stopId'], message: `its work order is ${order.status}` }],
    );
  }
  return { stop, order };
}

/** The collected values of the register nearest before (or at) and after `at`, within the check window. */
async function collectedAround(
  em: EntityManager,
  meterId: number,
  register: RegisterCode,
  at: Date,
): Promise<{ before?: CollectedValue; after?: CollectedValue }> {
  const window = (ms: number) => new Date(at.getTime() + ms);
  const pick = async (condition: string, order: 'asc' | 'desc', bound: Date) => {
    const rows: { value: string; measured_at: Date | string }[] = await em.execute(
      `select value::text as value, measured_at from reading
        where meter_id = ? and register = ? and source = ? and ${condition}
        order by measured_at ${order} limit 1`,
      [meterId, register, ReadingSource.AUTOMATIC, at, bound],
    );
    const row = rows[0];
    return row ? { value: row.value, measuredAt: new Date(row.measured_at) } : undefined;
  };
  return {
    before: await pick('measured_at <= ? and measured_at >= ?', 'desc', window(-CHECK_WINDOW_MS)),
    after: await pick('measured_at > ? and measured_at <= ?', 'asc', window(CHECK_WINDOW_MS)),
  };
}

const position = z
  .object({
    latitude: formats.latitude.nullish(),
    longitude: formats.longitude.nullish(),
  })
  .refine((v) => (v.latitude == null) === (v.longitude == null), {
    path: ['longitude'],
    message: 'latitude and longitude go together',
  });

const recordSchema = z
  .object({
    stopId: z.string(),
    value: formats.registerValue,
    register: z.enum(RegisterCode),
    measuredAt: z.date().nullish(),
    note: z.string().trim().max(500, 'must be at most 500 characters').nullish(),
  })
  .and(position);

/**
 * A check reading at a stop (周期核抄): the value read on the meter is stored as a MANUAL reading
 * through the checks and the upsert of collected values, then compared with the automatic value
 * at the same moment (check-reading.ts). The stop becomes VISITED with who, when, where, the
 * reading and the difference. Recording again at a new time replaces the stop's figures (the
 * earlier reading stays a reading); the same time again is a CONFLICT, as for any reading.
 */
export async function recordStopReading(ctx: Context, input: RecordStopReadingInput) {
  const data = validate(recordSchema, input);
  const user = ctx.access.requireUser();
  const found = await visibleStop(ctx, data.stopId, ['input', 'stopId']);
  if (!STOP_FIGURE.test(data.value)) throw badField(['input', 'value'], 'must have at most 10 digits before the point');
  const measuredAt = data.measuredAt ?? new Date();
  const { stop, order, stored } = await ctx.em.transactional(async (em) => {
    const { stop, order } = await lockForVisit(em, found.id, user);
    if (!stop.meter) throw badField(['input', 'stopId'], 'the stop has no meter to read');
    const meter = await em.findOneOrFail(Meter, stop.meter.id);
    const stored: StoredHandReading = await storeHandReading(
      em,
      { meter, register: data.register, value: data.value, measuredAt },
      { meterId: ['input', 'stopId'], value: ['input', 'value'], measuredAt: ['input', 'measuredAt'] },
    );
    const { before, after } = await collectedAround(em, meter.id, data.register, measuredAt);
    const automaticValue = automaticValueAt(measuredAt, before, after, meter.registerDigits);
    // Every figure is replaced, those not given this time included (null, not left over).
    em.assign(stop, {
      status: WorkOrderStopStatus.VISITED,
      visitedAt: measuredAt,
      visitedBy: user.id,
      latitude: data.latitude ?? null,
      longitude: data.longitude ?? null,
      fieldValue: data.value,
      readingId: stored.reading.id,
      automaticValue,
      difference: checkDifference(data.value, automaticValue, meter.registerDigits),
      note: data.note || null,
    });
    await em.flush();
    return { stop, order, stored };
  });
  await announceHandReading(ctx, stored);
  await publishWorkOrderChanged(ctx, order, 'STOP_VISITED');
  return { stop, reading: stored.reading };
}

const skipSchema = z.object({
  stopId: z.string(),
  reason: z.string().trim().min(1, 'say why the stop was not read').max(500, 'must be at most 500 characters'),
});

/**
 * A stop that could not be read (no access, meter missing...): SKIPPED with the reason, who and
 * when. A visited stop keeps its reading; a skipped one can still be read later.
 */
export async function skipStop(ctx: Context, input: SkipStopInput) {
  const data = validate(skipSchema, input);
  const user = ctx.access.requireUser();
  const found = await visibleStop(ctx, data.stopId, ['input', 'stopId']);
  const { stop, order } = await ctx.em.transactional(async (em) => {
    const { stop, order } = await lockForVisit(em, found.id, user);
    if (stop.status === WorkOrderStopStatus.VISITED)
      throw conflict('The stop was read already', [{ path: ['input', 'stopId'], message: 'was read already' }]);
    stop.status = WorkOrderStopStatus.SKIPPED;
    stop.visitedAt = new Date();
    stop.visitedBy = em.getReference(User, user.id);
    stop.note = data.reason;
    await em.flush();
    return { stop, order };
  });
  await publishWorkOrderChanged(ctx, order, 'STOP_SKIPPED');
  return { stop };
}
