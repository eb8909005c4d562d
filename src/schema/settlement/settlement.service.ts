import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import {
  Bill,
  BillStatus,
  Customer,
  CustomerStatus,
  OrgUnit,
  Role,
  SettlementRun,
  SettlementRunStatus,
} from '../../orm/entities/index.js';
import { badField, conflict } from '../../shared/errors.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  escapeLike,
  loadPermitted,
  localId,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import { balancesChanged } from '../account/index.js';
import type { BillFilter, BillsInput, RunSettlementInput, SettlementFilter } from './settlement.type.js';

export const PERIOD = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM');

/**
 * Bills the caller may read. Customers see what was issued to them (and what it replaced), never
 * drafts or bills still awaiting issue.
 */
export function visibleBills(ctx: Context): FilterQuery<Bill> | null {
  const where = ctx.access.where<Bill>('read', 'Bill');
  if (where === null) return null;
  if (ctx.access.user?.role !== Role.CUSTOMER) return where;
  return { $and: [where, { status: { $in: [BillStatus.ISSUED, BillStatus.SUPERSEDED] } }] };
}

export async function listSettlementRuns(ctx: Context, filter: SettlementFilter | undefined, page: PageArgs) {
  const where = ctx.access.where<SettlementRun>('read', 'SettlementRun');
  const conditions: FilterQuery<SettlementRun>[] = [];
  if (filter?.period !== undefined) conditions.push({ period: validate(PERIOD, filter.period, ['filter', 'period']) });
  if (filter?.statuses?.length) conditions.push({ status: { $in: filter.statuses } });
  if (filter?.orgUnitSubtree)
    conditions.push(await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['orgUnit']));
  return paginate(
    ctx.em,
    SettlementRun,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'id', direction: OrderDirection.DESC },
    ctx.config.maxPageSize,
  );
}

export async function listBills(ctx: Context, filter: BillFilter | undefined, page: PageArgs) {
  const where = visibleBills(ctx);
  const conditions: FilterQuery<Bill>[] = [];
  if (filter?.period !== undefined) conditions.push({ period: validate(PERIOD, filter.period, ['filter', 'period']) });
  if (filter?.statuses?.length) conditions.push({ status: { $in: filter.statuses } });
  if (filter?.customerId)
    conditions.push({ customer: localId(filter.customerId, 'Customer', ['filter', 'customerId']) });
  if (filter?.runId) conditions.push({ run: localId(filter.runId, 'SettlementRun', ['filter', 'runId']) });
  if (filter?.orgUnitSubtree)
    conditions.push(
      await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['customer', 'orgUnit']),
    );
  return paginate(
    ctx.em,
    Bill,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'id', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
  );
}

/** A RUNNING run whose heartbeat is older than this was left by a stopped server. */
const STALE_RUN_MS = 10 * 60_000;

/** Marks the unit's runs of the period that stopped moving as INTERRUPTED, so that a new one may start. */
async function interruptStaleRuns(em: EntityManager, orgUnitId: number, period: string, now = new Date()) {
  return em.nativeUpdate(
    SettlementRun,
    {
      orgUnit: orgUnitId,
      period,
      status: SettlementRunStatus.RUNNING,
      heartbeatAt: { $lt: new Date(now.getTime() - STALE_RUN_MS) },
    },
    { status: SettlementRunStatus.INTERRUPTED, finishedAt: now },
  );
}

const runSchema = z.object({ orgUnitId: z.string(), period: PERIOD });

/**
 * Starts the settlement of every active customer under the unit that the caller may read, for the
 * cycles closing in `period`. Returns at once with the RUNNING run; progress is published as
 * `settlementProgress` events and kept on the run. CONFLICT while a run of the same unit and
 * period is still moving.
 */
export async function runSettlement(ctx: Context, input: RunSettlementInput): Promise<SettlementRun> {
  ctx.access.assert('create', 'SettlementRun');
  const data = validate(runSchema, input);
  const unit = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', data.orgUnitId, ['input', 'orgUnitId']);
  const customerWhere = ctx.access.where<Customer>('read', 'Customer');
  const customers =
    customerWhere === null
      ? []
      : await ctx.em.find(
          Customer,
          {
            $and: [
              customerWhere,
              { orgUnit: { path: { $like: `${escapeLike(unit.path)}%` } }, status: CustomerStatus.ACTIVE },
            ],
          },
          { fields: ['id'], orderBy: { id: 'asc' } },
        );
  await interruptStaleRuns(ctx.em, unit.id, data.period);
  const run = await ctx.em
    .transactional(async (em) => {
      const created = em.create(SettlementRun, {
        orgUnit: unit,
        period: data.period,
        startedBy: ctx.access.user,
        customerCount: customers.length,
      });
      await em.flush();
      // The unit must lie where the caller may start runs (their own subtree), not only be readable.
      const creatable = ctx.access.where<SettlementRun>('create', 'SettlementRun');
      if (creatable === null || !(await em.count(SettlementRun, { $and: [creatable, { id: created.id }] })))
        throw badField(['input', 'orgUnitId'], 'is not a unit you may settle');
      return created;
    })
    .catch((error: unknown) => {
      if (error instanceof UniqueConstraintViolationException)
        throw conflict(`a settlement of this unit for ${data.period} is running`, [
          { path: ['input', 'period'], message: 'a run of this unit and period is in progress' },
        ]);
      throw error;
    });
  ctx.settlements.start(
    run.id,
    customers.map((c) => c.id),
  );
  return run;
}

/** Loads the named bills the caller may change, all or none, in the order given. */
async function billsToChange(ctx: Context, input: BillsInput, expected: BillStatus, next: string) {
  ctx.access.assert('update', 'Bill');
  if (!input.billIds.length) throw badField(['input', 'billIds'], 'name at least one bill');
  if (input.billIds.length > ctx.config.maxPageSize)
    throw badField(['input', 'billIds'], `at most ${ctx.config.maxPageSize} bills at once`);
  const ids = input.billIds.map((id, i) => localId(id, 'Bill', ['input', 'billIds', i]));
  const where = ctx.access.where<Bill>('update', 'Bill');
  const found = where === null ? [] : await ctx.em.find(Bill, { $and: [where, { id: { $in: ids } }] });
  const byId = new Map(found.map((b) => [b.id, b]));
  return ids.map((id, i) => {
    const bill = byId.get(id);
    if (!bill) throw badField(['input', 'billIds', i], 'Bill not found or not accessible');
    if (bill.status !== expected)
      throw badField(['input', 'billIds', i], `is ${bill.status}; only a ${expected} bill can be ${next}`);
    return bill;
  });
}

/** DRAFT -> APPROVED: the bill's lines are final unless a correction drafts a new version. */
export async function approveBills(ctx: Context, input: BillsInput): Promise<Bill[]> {
  const bills = await billsToChange(ctx, input, BillStatus.DRAFT, 'approved');
  const now = new Date();
  for (const bill of bills)
    Object.assign(bill, { status: BillStatus.APPROVED, approvedAt: now, approvedBy: ctx.access.user });
  await ctx.em.flush();
  return bills;
}

/** APPROVED -> ISSUED; earlier versions of the same cycle become SUPERSEDED. */
export async function issueBills(ctx: Context, input: BillsInput): Promise<Bill[]> {
  const bills = await billsToChange(ctx, input, BillStatus.APPROVED, 'issued');
  const now = new Date();
  await ctx.em.transactional(async (em) => {
    for (const bill of bills) {
      Object.assign(bill, { status: BillStatus.ISSUED, issuedAt: now, issuedBy: ctx.access.user });
      await em.nativeUpdate(
        Bill,
        {
          customer: bill.customer.id,
          period: bill.period,
          version: { $lt: bill.version },
          status: { $in: [BillStatus.APPROVED, BillStatus.ISSUED] },
        },
        { status: BillStatus.SUPERSEDED },
      );
    }
    await em.flush();
  });
  // Balances changed once the bills are issued: prepayment reacts (notices, trips).
  await balancesChanged(
    ctx,
    bills.map((b) => b.customer.id),
  );
  return bills;
}
