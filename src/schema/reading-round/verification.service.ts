import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { addDays, localDateOf, localMidnight } from '../../billing/local-days.js';
import {
  Customer,
  Meter,
  MeterBox,
  MeterStatus,
  OrgUnit,
  OrgUnitKind,
  User,
  WorkOrder,
  WorkOrderKind,
  WorkOrderStatus,
  WorkOrderStop,
} from '../../orm/entities/index.js';
import { badField } from '../../shared/errors.js';
import { validate } from '../../shared/validate.js';
import { type Context, localId, OrderDirection, type PageArgs, paginate, subtreeCondition } from '../common/index.js';
import { checkAssignees, creationChange, publishWorkOrderChanged, setAssignees } from '../work-order/index.js';
import type { MetersDueForVerificationFilter, PlanVerificationWorkOrdersInput } from './reading-round.type.js';
import { assertMayCreateWorkOrdersIn, caller, futureDue, zoneOf } from './order-planning.js';

/**
 * Periodic verification (周期检定, paper 3.5 "automatic query of meters' periodic verification"):
 * installed meters whose verification date falls within some days of today (local day of the
 * unit), and work orders that send people to them.
 */

const DEFAULT_WITHIN_DAYS = 30;
const withinDays = z.number().int().min(0, 'must be 0 or more').max(3660, 'must be at most 3660');

/**
 * Planning runs one at a time across the installation (a transaction-scoped advisory lock): a
 * second run waits for the first to commit and then finds its orders, so that no meter is ever
 * planned twice, whatever the units asked for overlap.
 */
const PLANNING_LOCK = 0x4d475652;

export async function listMetersDueForVerification(
  ctx: Context,
  filter: MetersDueForVerificationFilter | undefined,
  page: PageArgs,
) {
  const days = validate(withinDays, filter?.withinDays ?? DEFAULT_WITHIN_DAYS, ['filter', 'withinDays']);
  const where = ctx.access.where<Meter>('read', 'Meter');
  const conditions: FilterQuery<Meter>[] = [{ status: MeterStatus.INSTALLED }];
  // Local days of the unit asked about, else of the caller's own unit.
  let unit: OrgUnit | null;
  if (filter?.orgUnitSubtree) {
    conditions.push(await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['orgUnit']));
    unit = await ctx.em.findOne(OrgUnit, localId(filter.orgUnitSubtree, 'OrgUnit', ['filter', 'orgUnitSubtree']));
  } else {
    unit = await ctx.em.findOne(OrgUnit, ctx.access.requireUser().orgUnit.id);
  }
  const zone = unit ? await zoneOf(ctx.em, unit, ctx.config.defaultTimeZone) : ctx.config.defaultTimeZone;
  const today = localDateOf(new Date(), zone);
  conditions.push({
    nextVerificationDate: filter?.overdueOnly ? { $lt: today } : { $lte: addDays(today, days) },
  });
  return paginate(
    ctx.em,
    Meter,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'nextVerificationDate', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
  );
}

export interface VerificationPlan {
  /** The unit whose meters (with every unit below it) are planned. */
  unit: OrgUnit;
  withinDays: number;
  /** Default: the end of the earliest verification date among each order's meters (today if passed). */
  dueAt?: Date;
  /** Checked by the caller (checkAssignees); none leaves the orders CREATED. */
  people: readonly User[];
  createdBy: User;
  zone: string;
  now: Date;
}

interface DueMeter {
  meter_id: number;
  org_unit_id: number;
  unit_kind: OrgUnitKind;
  due: string;
  barcode: string;
  box_id: number | null;
  box_barcode: string | null;
  customer_id: number | null;
}

/**
 * Creates one PERIODIC_VERIFICATION work order per meter box (its due meters as stops), and one
 * per due meter without a box, for the installed meters of the unit due within the days given
 * that no verification order (one not CLOSED) holds yet. Each order belongs to its meters' unit
 * (their transformer area). Returns the orders created: none when everything due is planned.
 */
export async function planVerification(em: EntityManager, plan: VerificationPlan): Promise<WorkOrder[]> {
  const today = localDateOf(plan.now, plan.zone);
  return em.transactional(async (tx) => {
    await tx.execute('select pg_advisory_xact_lock(?::bigint)', [PLANNING_LOCK]);
    const due: DueMeter[] = await tx.execute(
      `select m.id as meter_id, m.org_unit_id, mu.kind as unit_kind, m.next_verification_date::text as due, m.barcode,
              b.id as box_id, b.barcode as box_barcode, sp.customer_id
         from meter m
         join org_unit mu on mu.id = m.org_unit_id
         -- A box of another unit than its meter's (an inconsistent archive) is not named: the
         -- order's people could not see it.
         left join meter_box b on b.id = m.meter_box_id and b.org_unit_id = m.org_unit_id
         left join meter_assignment a on a.meter_id = m.id and a.removed_at is null
         left join service_point sp on sp.id = a.service_point_id
        where m.status = 'INSTALLED' and m.next_verification_date <= ?::date and mu.path like ?
          and not exists (
            select 1 from work_order_stop s join work_order w on w.id = s.work_order_id
             where s.meter_id = m.id and w.kind = ? and w.status <> ?)
        order by m.org_unit_id, b.barcode nulls last, m.barcode, m.id`,
      [
        addDays(today, plan.withinDays),
        `${plan.unit.path}%`,
        WorkOrderKind.PERIODIC_VERIFICATION,
        WorkOrderStatus.CLOSED,
      ],
    );
    const groups = new Map<string, DueMeter[]>();
    for (const m of due) {
      const key = m.box_id === null ? `meter ${m.meter_id}` : `box ${m.box_id}`;
      groups.set(key, [...(groups.get(key) ?? []), m]);
    }
    const orders: WorkOrder[] = [];
    for (const meters of groups.values()) {
      const first = meters[0]!;
      const earliest = meters.map((m) => m.due).reduce((a, b) => (a < b ? a : b));
      const boxed = first.box_id !== null;
      const order = tx.create(WorkOrder, {
        kind: WorkOrderKind.PERIODIC_VERIFICATION,
        title: boxed
          ? `Periodic verification: meter box ${first.box_barcode}`
          : `Periodic verification: meter ${first.barcode}`,
        description: `${meters.length} meter(s) due for periodic verification, the first on ${earliest}.`,
        orgUnit: tx.getReference(OrgUnit, Number(first.org_unit_id)),
        transformerArea:
          first.unit_kind === OrgUnitKind.TRANSFORMER_AREA
            ? tx.getReference(OrgUnit, Number(first.org_unit_id))
            : undefined,
        meterBox: boxed ? tx.getReference(MeterBox, Number(first.box_id)) : undefined,
        meter: boxed ? undefined : tx.getReference(Meter, Number(first.meter_id)),
        customer:
          !boxed && first.customer_id !== null ? tx.getReference(Customer, Number(first.customer_id)) : undefined,
        // The end of the (local) day the first meter is due, or of today for meters overdue.
        dueAt: plan.dueAt ?? localMidnight(addDays(earliest > today ? earliest : today, 1), plan.zone),
        createdBy: tx.getReference(User, plan.createdBy.id),
      });
      tx.persist(order);
      meters.forEach((m, i) =>
        tx.persist(
          tx.create(WorkOrderStop, {
            workOrder: order,
            seq: i + 1,
            meter: tx.getReference(Meter, Number(m.meter_id)),
            meterBox: m.box_id === null ? undefined : tx.getReference(MeterBox, Number(m.box_id)),
            customer: m.customer_id === null ? undefined : tx.getReference(Customer, Number(m.customer_id)),
          }),
        ),
      );
      orders.push(order);
    }
    await tx.flush();
    if (plan.people.length) {
      for (const order of orders) await setAssignees(tx, order, plan.people);
      await tx.flush();
    }
    return orders;
  });
}

const planSchema = z.object({
  orgUnitId: z.string(),
  withinDays: withinDays.nullish(),
  dueAt: z.date().nullish(),
  assigneeIds: z.array(z.string()).max(20).nullish(),
});

/**
 * planVerificationWorkOrders: plans what is due in a unit the caller may create work orders in.
 * The people named must work where they can see every order planned (the unit or above it), two
 * different people under the two-person rule; running it again plans nothing new.
 */
export async function planVerificationWorkOrders(ctx: Context, input: PlanVerificationWorkOrdersInput) {
  ctx.access.assert('create', 'WorkOrder');
  const data = validate(planSchema, input);
  const unit = await ctx.em.findOne(OrgUnit, localId(data.orgUnitId, 'OrgUnit', ['input', 'orgUnitId']));
  if (!unit) throw badField(['input', 'orgUnitId'], 'OrgUnit not found or not accessible');
  await assertMayCreateWorkOrdersIn(ctx, unit, ['input', 'orgUnitId']);
  const now = new Date();
  const dueAt = futureDue(data.dueAt ?? undefined, ['input', 'dueAt'], now);
  const people = await checkAssignees(
    ctx,
    { kind: WorkOrderKind.PERIODIC_VERIFICATION, orgUnit: unit },
    data.assigneeIds ?? [],
    ['input', 'assigneeIds'],
  );
  const orders = await planVerification(ctx.em, {
    unit,
    withinDays: data.withinDays ?? DEFAULT_WITHIN_DAYS,
    dueAt,
    people,
    createdBy: await caller(ctx),
    zone: await zoneOf(ctx.em, unit, ctx.config.defaultTimeZone),
    now,
  });
  for (const order of orders) await publishWorkOrderChanged(ctx, order, creationChange(order));
  const meters = orders.length ? await ctx.em.count(WorkOrderStop, { workOrder: { $in: orders.map((o) => o.id) } }) : 0;
  return { workOrders: orders, meters };
}
