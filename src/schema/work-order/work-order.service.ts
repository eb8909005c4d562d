import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import {
  Alarm,
  AlarmStatus,
  Customer,
  HazardReport,
  HazardStatus,
  Meter,
  MeterAssignment,
  MeterBox,
  MeterStatus,
  OrgUnit,
  OrgUnitKind,
  type User,
  WorkOrder,
  WorkOrderAssignee,
  WorkOrderKind,
  WorkOrderKindSetting,
  WorkOrderStatus,
  WorkOrderStop,
} from '../../orm/entities/index.js';
import { badField, conflict, forbidden } from '../../shared/errors.js';
import { toGlobalId } from '../../shared/global-id.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  loadPermitted,
  localId,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import { checkAssignees, ruleOf, setAssignees, twoPersonRefusal, twoPersonRuleApplies } from './two-person-rule.js';
import { allowedFrom, allows, OPEN_STATUSES, type WorkOrderAction } from './status-flow.js';
import { creationChange, publishWorkOrderChanged } from './work-order-events.js';
import type {
  AssignWorkOrderInput,
  BulkAssignWorkOrdersInput,
  CloseWorkOrderInput,
  ConfirmWorkOrderInput,
  CreateWorkOrderInput,
  SetWorkOrderKindSettingInput,
  WorkOrderActionInput,
  WorkOrderFilter,
} from './work-order.type.js';

/** At most this many orders in one bulk assignment (one transaction). */
export const BULK_ASSIGN_MAX = 100;
/** At most this many stops on one order (a reading round of a large station's route). */
export const STOPS_MAX = 2000;

/** The `inspections` list: soonest due first, filtered, within the caller's read rule. */
export async function listWorkOrders(ctx: Context, filter: WorkOrderFilter | undefined, page: PageArgs) {
  const where = ctx.access.where<WorkOrder>('read', 'WorkOrder');
  const conditions: FilterQuery<WorkOrder>[] = [];
  if (filter?.kinds?.length) conditions.push({ kind: { $in: filter.kinds } });
  if (filter?.statuses?.length) conditions.push({ status: { $in: filter.statuses } });
  if (filter?.assigneeId) {
    const userId = localId(filter.assigneeId, 'User', ['filter', 'assigneeId']);
    conditions.push({
      id: {
        $in: ctx.em
          .createQueryBuilder(WorkOrderAssignee, 'a')
          .select('a.work_order_id')
          .where({ user: userId })
          .getKnexQuery(),
      },
    } as never);
  }
  if (filter?.mine) {
    const me = ctx.access.requireUser().id;
    conditions.push({
      id: {
        $in: ctx.em
          .createQueryBuilder(WorkOrderAssignee, 'a')
          .select('a.work_order_id')
          .where({ user: me })
          .getKnexQuery(),
      },
    } as never);
  }
  if (filter?.orgUnitSubtree) {
    conditions.push(await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['orgUnit']));
  }
  if (filter?.dueFrom) conditions.push({ dueAt: { $gte: filter.dueFrom } });
  if (filter?.dueTo) conditions.push({ dueAt: { $lt: filter.dueTo } });
  if (filter?.overdue) conditions.push({ status: { $in: [...OPEN_STATUSES] }, dueAt: { $lt: new Date() } });
  if (filter?.meterId) conditions.push({ meter: localId(filter.meterId, 'Meter', ['filter', 'meterId']) });
  if (filter?.meterBoxId)
    conditions.push({ meterBox: localId(filter.meterBoxId, 'MeterBox', ['filter', 'meterBoxId']) });
  if (filter?.customerId)
    conditions.push({ customer: localId(filter.customerId, 'Customer', ['filter', 'customerId']) });
  return paginate(
    ctx.em,
    WorkOrder,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'dueAt', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
    true,
  );
}

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const note = z.string().trim().max(500, 'must be at most 500 characters').optional().nullable();

const createSchema = z.object({
  kind: z.nativeEnum(WorkOrderKind),
  title: text(200),
  description: z.string().trim().max(4000, 'must be at most 4000 characters').optional().nullable(),
  orgUnitId: z.string(),
  dueAt: z.date().refine((d) => d.getTime() > Date.now() - 60_000, 'must not be in the past'),
  assigneeIds: z.array(z.string()).max(20, 'at most 20 people').optional().nullable(),
  customerId: z.string().optional().nullable(),
  meterBoxId: z.string().optional().nullable(),
  meterId: z.string().optional().nullable(),
  transformerAreaId: z.string().optional().nullable(),
  alarmId: z.string().optional().nullable(),
  hazardReportId: z.string().optional().nullable(),
  stops: z
    .array(z.object({ meterId: z.string().optional().nullable(), meterBoxId: z.string().optional().nullable() }))
    .max(STOPS_MAX, `at most ${STOPS_MAX} stops`)
    .optional()
    .nullable(),
});

/** Whether two units are on one branch (one is in the other's subtree). */
const sameBranch = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);

/** Loads a linked row the caller may read and checks it belongs with the order's unit. */
async function linked<T extends { orgUnit: OrgUnit }>(
  ctx: Context,
  entity: new () => T,
  subject: 'Customer' | 'MeterBox' | 'Meter' | 'Alarm' | 'HazardReport',
  id: string,
  unit: OrgUnit,
  path: (string | number)[],
): Promise<T> {
  const row = await loadPermitted(ctx, entity, subject, 'read', id, path);
  const rowUnit = await ctx.em.findOneOrFail(OrgUnit, row.orgUnit.id);
  if (!sameBranch(rowUnit.path, unit.path)) throw badField(path, "is not in the order's unit");
  return row;
}

/** The customer a meter currently measures (its open assignment's service point), if any. */
async function customerOfMeter(em: EntityManager, meterId: number): Promise<Customer | undefined> {
  const assignment = await em.findOne(
    MeterAssignment,
    { meter: meterId, removedAt: null },
    { populate: ['servicePoint.customer'] },
  );
  return assignment?.servicePoint.customer;
}

interface PlannedStop {
  meter?: Meter;
  meterBox?: MeterBox;
  customer?: Customer;
}

/** A meter stop: the meter with its box and customer. */
async function meterStop(em: EntityManager, meter: Meter): Promise<PlannedStop> {
  const meterBox = meter.meterBox ? await em.findOneOrFail(MeterBox, meter.meterBox.id) : undefined;
  return { meter, meterBox, customer: await customerOfMeter(em, meter.id) };
}

/** A box stop: one stop per installed meter in it, or the box alone when it holds none. */
async function boxStops(em: EntityManager, box: MeterBox): Promise<PlannedStop[]> {
  const meters = await em.find(Meter, { meterBox: box, status: MeterStatus.INSTALLED }, { orderBy: { id: 'asc' } });
  if (!meters.length) return [{ meterBox: box }];
  return Promise.all(meters.map((meter) => meterStop(em, meter)));
}

/**
 * A new work order. Assigning people at creation goes through the two-person rule like every
 * other assignment; without people the order waits in CREATED.
 */
export async function createWorkOrder(ctx: Context, input: CreateWorkOrderInput): Promise<WorkOrder> {
  ctx.access.assert('create', 'WorkOrder');
  const data = validate(createSchema, input);
  const creator = ctx.access.requireUser();
  const unitWhere = ctx.access.whereOn<OrgUnit>('create', 'WorkOrder', 'OrgUnit');
  const unitId = localId(data.orgUnitId, 'OrgUnit', ['input', 'orgUnitId']);
  const unit = unitWhere === null ? null : await ctx.em.findOne(OrgUnit, { $and: [unitWhere, { id: unitId }] });
  if (!unit) throw badField(['input', 'orgUnitId'], 'OrgUnit not found or not accessible');
  if (unit.kind === OrgUnitKind.COMPANY) throw badField(['input', 'orgUnitId'], 'must be a bureau, station or area');

  const customer = data.customerId
    ? await linked(ctx, Customer, 'Customer', data.customerId, unit, ['input', 'customerId'])
    : undefined;
  const meterBox = data.meterBoxId
    ? await linked(ctx, MeterBox, 'MeterBox', data.meterBoxId, unit, ['input', 'meterBoxId'])
    : undefined;
  const meter = data.meterId ? await linked(ctx, Meter, 'Meter', data.meterId, unit, ['input', 'meterId']) : undefined;
  const alarm = data.alarmId ? await linked(ctx, Alarm, 'Alarm', data.alarmId, unit, ['input', 'alarmId']) : undefined;
  let transformerArea: OrgUnit | undefined;
  if (data.transformerAreaId) {
    const path = ['input', 'transformerAreaId'];
    transformerArea = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', data.transformerAreaId, path);
    if (transformerArea.kind !== OrgUnitKind.TRANSFORMER_AREA) throw badField(path, 'must be a transformer area');
    if (!sameBranch(transformerArea.path, unit.path)) throw badField(path, "is not in the order's unit");
  }
  const hazard = data.hazardReportId
    ? await linked(ctx, HazardReport, 'HazardReport', data.hazardReportId, unit, ['input', 'hazardReportId'])
    : undefined;
  if (hazard) {
    const path = ['input', 'hazardReportId'];
    if (data.kind !== WorkOrderKind.HAZARD_RECTIFICATION)
      throw badField(path, 'only a HAZARD_RECTIFICATION order fixes a hazard');
    if (hazard.status !== HazardStatus.VERIFIED) throw badField(path, `the hazard is ${hazard.status}, not VERIFIED`);
    if (hazard.rectification) throw badField(path, 'the hazard already has its rectification order');
  }
  if (data.kind === WorkOrderKind.ALARM_FOLLOW_UP && !alarm) {
    throw badField(['input', 'alarmId'], 'an ALARM_FOLLOW_UP order names the alarm it follows');
  }

  const planned: PlannedStop[] = [];
  if (data.stops?.length) {
    for (const [i, stop] of data.stops.entries()) {
      const path = ['input', 'stops', i];
      if (Boolean(stop.meterId) === Boolean(stop.meterBoxId)) throw badField(path, 'name a meter or a meter box');
      if (stop.meterId) {
        const m = await linked(ctx, Meter, 'Meter', stop.meterId, unit, [...path, 'meterId']);
        planned.push(await meterStop(ctx.em, m));
      } else {
        const b = await linked(ctx, MeterBox, 'MeterBox', stop.meterBoxId!, unit, [...path, 'meterBoxId']);
        planned.push(...(await boxStops(ctx.em, b)));
      }
    }
  } else if (meter) {
    planned.push(await meterStop(ctx.em, meter));
  } else if (meterBox) {
    planned.push(...(await boxStops(ctx.em, meterBox)));
  }
  if (planned.length > STOPS_MAX) throw badField(['input', 'stops'], `at most ${STOPS_MAX} stops`);

  const people = await checkAssignees(ctx, { kind: data.kind, orgUnit: unit }, data.assigneeIds ?? [], [
    'input',
    'assigneeIds',
  ]);
  const orderCustomer = customer ?? (meter ? await customerOfMeter(ctx.em, meter.id) : undefined);
  const order = await ctx.em.transactional(async (em) => {
    const created = em.create(WorkOrder, {
      kind: data.kind,
      title: data.title,
      description: data.description ?? undefined,
      orgUnit: unit,
      dueAt: data.dueAt,
      customer: orderCustomer,
      meterBox: meterBox ?? (meter?.meterBox ? em.getReference(MeterBox, meter.meterBox.id) : undefined),
      meter,
      transformerArea,
      alarm,
      createdBy: creator,
    });
    planned.forEach((stop, i) => em.create(WorkOrderStop, { workOrder: created, seq: i + 1, ...stop }));
    if (hazard) {
      const report = await em.findOneOrFail(HazardReport, hazard.id, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (report.rectification)
        throw badField(['input', 'hazardReportId'], 'the hazard already has its rectification order');
      report.rectification = created;
    }
    await setAssignees(em as EntityManager, created, people);
    await em.flush();
    return created;
  });
  await publishWorkOrderChanged(ctx, order, creationChange(order));
  return order;
}

/**
 * Runs `change` on one order with its row locked, so that concurrent confirmations, reviews and
 * reassignments see each other (two assignees confirming at once both count).
 */
async function withLockedOrder<R>(
  ctx: Context,
  order: WorkOrder,
  action: WorkOrderAction,
  change: (em: EntityManager, order: WorkOrder) => Promise<R>,
): Promise<R> {
  return ctx.em.transactional(async (em) => {
    const locked = await em.findOneOrFail(WorkOrder, order.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    refuseUnless(locked, action);
    return change(em as EntityManager, locked);
  });
}

/** BAD_USER_INPUT at input.id when the order's status does not allow `action`. */
function refuseUnless(order: WorkOrder, action: WorkOrderAction): void {
  if (!allows(order.status, action)) {
    throw badField(
      ['input', 'id'],
      `the work order is ${order.status}; ${action} needs ${allowedFrom(action).join(' or ')}`,
    );
  }
}

/** Work under way (or sent back) keeps people: taking everyone off would leave nobody to finish it. */
function refuseEmptyOnStarted(order: WorkOrder, assigneeIds: readonly string[], path: (string | number)[]): void {
  if (
    assigneeIds.length === 0 &&
    order.status !== WorkOrderStatus.CREATED &&
    order.status !== WorkOrderStatus.ASSIGNED
  ) {
    throw badField(path, `the work order is ${order.status}: name the people who finish it`);
  }
}

/** Reassign: the new set of people replaces the old, under the two-person rule. */
export async function assignWorkOrder(ctx: Context, input: AssignWorkOrderInput): Promise<WorkOrder> {
  const data = validate(
    z.object({ id: z.string(), assigneeIds: z.array(z.string()).max(20, 'at most 20 people') }),
    input,
  );
  const order = await loadPermitted(ctx, WorkOrder, 'WorkOrder', 'update', data.id);
  refuseUnless(order, 'assign');
  refuseEmptyOnStarted(order, data.assigneeIds, ['input', 'assigneeIds']);
  const people = await checkAssignees(ctx, order, data.assigneeIds, ['input', 'assigneeIds']);
  const before = await withLockedOrder(ctx, order, 'assign', async (em, locked) => {
    const previous = await setAssignees(em, locked, people);
    await em.flush();
    return previous;
  });
  await publishWorkOrderChanged(ctx, order, people.length ? 'ASSIGNED' : 'UNASSIGNED', before);
  return order;
}

/** The same people on many orders at once: all or nothing, each order under its own kind's rule. */
export async function bulkAssignWorkOrders(ctx: Context, input: BulkAssignWorkOrdersInput): Promise<WorkOrder[]> {
  const data = validate(
    z.object({
      ids: z
        .array(z.string())
        .min(1, 'name at least one work order')
        .max(BULK_ASSIGN_MAX, `at most ${BULK_ASSIGN_MAX}`),
      assigneeIds: z.array(z.string()).max(20, 'at most 20 people'),
    }),
    input,
  );
  const orders: WorkOrder[] = [];
  for (const [i, id] of data.ids.entries()) {
    const order = await loadPermitted(ctx, WorkOrder, 'WorkOrder', 'update', id, ['input', 'ids', i]);
    if (!allows(order.status, 'assign')) {
      throw badField(['input', 'ids', i], `the work order is ${order.status}, it can no longer be reassigned`);
    }
    if (orders.some((o) => o.id === order.id)) throw badField(['input', 'ids', i], 'is named twice');
    refuseEmptyOnStarted(order, data.assigneeIds, ['input', 'assigneeIds']);
    orders.push(order);
  }
  const peopleByOrder = new Map<number, User[]>();
  for (const order of orders) {
    peopleByOrder.set(order.id, await checkAssignees(ctx, order, data.assigneeIds, ['input', 'assigneeIds']));
  }
  const befores = await ctx.em.transactional(async (em) => {
    const result = new Map<number, number[]>();
    for (const order of orders) {
      const locked = await em.findOneOrFail(WorkOrder, order.id, {
        lockMode: LockMode.PESSIMISTIC_WRITE,
        refresh: true,
      });
      refuseUnless(locked, 'assign');
      result.set(order.id, await setAssignees(em as EntityManager, locked, peopleByOrder.get(order.id)!));
    }
    await em.flush();
    return result;
  });
  for (const order of orders) {
    await publishWorkOrderChanged(
      ctx,
      order,
      data.assigneeIds.length ? 'ASSIGNED' : 'UNASSIGNED',
      befores.get(order.id),
    );
  }
  return orders;
}

/** The caller's assignment on an order they may read; FORBIDDEN when they are not assigned. */
async function ownAssignment(em: EntityManager, ctx: Context, order: WorkOrder): Promise<WorkOrderAssignee> {
  const me = ctx.access.requireUser();
  const assignment = await em.findOne(WorkOrderAssignee, { workOrder: order.id, user: me.id });
  if (!assignment) throw forbidden('Only the people assigned to this work order may do this');
  return assignment;
}

/** An assignee starts the work (or takes a rejected order back to work). */
export async function startWorkOrder(ctx: Context, input: WorkOrderActionInput): Promise<WorkOrder> {
  const data = validate(z.object({ id: z.string(), note }), input);
  const order = await loadPermitted(ctx, WorkOrder, 'WorkOrder', 'read', data.id);
  await ownAssignment(ctx.em, ctx, order);
  const locked = await withLockedOrder(ctx, order, 'start', async (em, o) => {
    // Again under the lock: a reassignment may have taken the caller off meanwhile.
    await ownAssignment(em, ctx, o);
    const assignees = await em.find(WorkOrderAssignee, { workOrder: o.id });
    if (assignees.length < 2 && (await twoPersonRuleApplies(em, o.kind))) {
      throw twoPersonRefusal(['input', 'id'], o.kind, assignees.length);
    }
    o.status = WorkOrderStatus.IN_PROGRESS;
    o.startedAt ??= new Date();
    await em.flush();
    return o;
  });
  await publishWorkOrderChanged(ctx, locked, 'STARTED');
  return locked;
}

/**
 * An assignee confirms what the order submits. Under the two-person rule the order is SUBMITTED
 * only when every assignee (at least two different people) has confirmed; otherwise when all the
 * assignees have.
 */
export async function confirmWorkOrder(ctx: Context, input: ConfirmWorkOrderInput): Promise<WorkOrder> {
  const data = validate(z.object({ id: z.string(), result: z.string().trim().max(4000).optional().nullable() }), input);
  const order = await loadPermitted(ctx, WorkOrder, 'WorkOrder', 'read', data.id);
  await ownAssignment(ctx.em, ctx, order);
  const { locked, submitted } = await withLockedOrder(ctx, order, 'confirm', async (em, o) => {
    const mine = await ownAssignment(em, ctx, o);
    if (mine.confirmedAt)
      throw conflict('You have already confirmed this work order', [
        { path: ['input', 'id'], message: 'already confirmed by you' },
      ]);
    mine.confirmedAt = new Date();
    if (data.result) o.result = data.result;
    const assignees = await em.find(WorkOrderAssignee, { workOrder: o.id });
    const confirmed = assignees.filter((a) => a.confirmedAt).length;
    const needed = (await twoPersonRuleApplies(em, o.kind)) ? Math.max(2, assignees.length) : assignees.length;
    const done = confirmed >= needed && confirmed === assignees.length;
    if (done) {
      o.status = WorkOrderStatus.SUBMITTED;
      o.submittedAt = new Date();
    }
    await em.flush();
    return { locked: o, submitted: done };
  });
  await publishWorkOrderChanged(ctx, locked, submitted ? 'SUBMITTED' : 'CONFIRMED');
  return locked;
}

/**
 * A manager's review of submitted work. Nobody reviews work they were assigned to (the second
 * pair of eyes must be another person's).
 */
async function review(ctx: Context, input: WorkOrderActionInput, approve: boolean): Promise<WorkOrder> {
  const data = validate(z.object({ id: z.string(), note: approve ? note : text(500) }), input);
  const order = await loadPermitted(ctx, WorkOrder, 'WorkOrder', 'update', data.id);
  const me = ctx.access.requireUser();
  const locked = await withLockedOrder(ctx, order, approve ? 'approve' : 'reject', async (em, o) => {
    if (await em.count(WorkOrderAssignee, { workOrder: o.id, user: me.id })) {
      throw forbidden('Work is reviewed by someone who did not do it');
    }
    o.reviewedAt = new Date();
    o.reviewedBy = me;
    o.reviewNote = data.note ?? undefined;
    if (approve) {
      o.status = WorkOrderStatus.APPROVED;
      // The follow-up is done: its alarm, if still active, is closed with it.
      if (o.kind === WorkOrderKind.ALARM_FOLLOW_UP && o.alarm) {
        const alarm = await em.findOne(Alarm, {
          id: o.alarm.id,
          status: { $in: [AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED] },
        });
        if (alarm) {
          alarm.status = AlarmStatus.CLOSED;
          alarm.closedAt = o.reviewedAt;
          alarm.closedBy = me;
          alarm.note = `closed with work order ${toGlobalId('WorkOrder', o.id)}`;
        }
      }
    } else {
      o.status = WorkOrderStatus.REJECTED;
      o.rejections += 1;
      // Sent back: the pair confirms again after the rework.
      for (const a of await em.find(WorkOrderAssignee, { workOrder: o.id })) a.confirmedAt = undefined;
    }
    await em.flush();
    return o;
  });
  await publishWorkOrderChanged(ctx, locked, approve ? 'APPROVED' : 'REJECTED');
  return locked;
}

export const approveWorkOrder = (ctx: Context, input: WorkOrderActionInput) => review(ctx, input, true);
export const rejectWorkOrder = (ctx: Context, input: WorkOrderActionInput) => review(ctx, input, false);

/** Files an approved order, or cancels one never approved (a reason is then required). */
export async function closeWorkOrder(ctx: Context, input: CloseWorkOrderInput): Promise<WorkOrder> {
  const data = validate(z.object({ id: z.string(), cancelReason: note }), input);
  const order = await loadPermitted(ctx, WorkOrder, 'WorkOrder', 'update', data.id);
  const cancelling = order.status !== WorkOrderStatus.APPROVED;
  if (cancelling && !data.cancelReason) {
    throw badField(
      ['input', 'cancelReason'],
      `the work order is ${order.status}: closing it before approval cancels it and needs a reason`,
    );
  }
  const locked = await withLockedOrder(ctx, order, cancelling ? 'cancel' : 'close', async (em, o) => {
    o.status = WorkOrderStatus.CLOSED;
    o.closedAt = new Date();
    o.closedBy = ctx.access.requireUser();
    if (cancelling) o.cancelReason = data.cancelReason!;
    await em.flush();
    return o;
  });
  await publishWorkOrderChanged(ctx, locked, 'CLOSED');
  return locked;
}

/** Every kind with its setting (the two-person rule is on for kinds without a row). */
export async function listKindSettings(ctx: Context) {
  ctx.access.assert('read', 'WorkOrderKindSetting');
  const rows = await ctx.em.find(WorkOrderKindSetting, {});
  return Object.values(WorkOrderKind).map((kind) => ({ kind, twoPersonRule: ruleOf(rows, kind) }));
}

/** Admins turn the two-person rule on or off for a kind; orders already assigned keep their people. */
export async function setKindSetting(ctx: Context, input: SetWorkOrderKindSettingInput) {
  ctx.access.assert('update', 'WorkOrderKindSetting');
  const data = validate(z.object({ kind: z.nativeEnum(WorkOrderKind), twoPersonRule: z.boolean() }), input);
  const user = ctx.access.requireUser();
  const row =
    (await ctx.em.findOne(WorkOrderKindSetting, { kind: data.kind })) ??
    ctx.em.create(WorkOrderKindSetting, { kind: data.kind });
  row.twoPersonRule = data.twoPersonRule;
  row.updatedBy = user;
  await ctx.em.flush();
  return { kind: row.kind, twoPersonRule: row.twoPersonRule };
}
