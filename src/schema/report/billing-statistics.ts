import type { FilterQuery } from '@mikro-orm/core';
import { addMonths, monthsBetween } from '../../billing/local-days.js';
import { CATEGORY_ORDER } from '../../billing/settlement-report.js';
import { Bill, BillStatus, CustomerCategory, SettlementRun } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { badField } from '../../shared/errors.js';
import { validate } from '../../shared/validate.js';
import { type Context, subtreeCondition } from '../common/index.js';
import { PERIOD, visibleBills } from '../settlement/index.js';
import type { BillingPeriodStatisticsType } from './report.type.js';

export const MAX_STATISTICS_PERIODS = 24;

/** The months from `from` to `to`, both included, checked: in order and at most 24. */
function periodsBetween(from: string, to: string): string[] {
  const start = validate(PERIOD, from, ['from']);
  const count = monthsBetween(start, validate(PERIOD, to, ['to'])) + 1;
  if (count < 1) throw badField(['to'], 'must not be before from');
  if (count > MAX_STATISTICS_PERIODS) throw badField(['to'], `at most ${MAX_STATISTICS_PERIODS} months from from`);
  return Array.from({ length: count }, (_, i) => addMonths(start, i));
}

/** The ids of the rows a scoped condition selects, as a subquery (bound as `?` in `aggregate`). */
function scopedIds<T extends object>(ctx: Context, entity: new () => T, where: FilterQuery<T>) {
  return ctx.em.createQueryBuilder(entity, 's').select('s.id').where(where).getKnexQuery();
}

/** Runs an aggregate over the rows of a scoped subquery: `?` stands for the subquery, then `params`. */
async function aggregate<R>(ctx: Context, sql: string, ids: ReturnType<typeof scopedIds>, params: unknown[] = []) {
  const knex = ctx.em.getKnex();
  return (await ctx.em.getConnection().execute(knex.raw(sql, [ids, ...params] as never))) as R[];
}

/**
 * Billing per month for dashboards, from the same bills `bills` and the settlement report show the
 * caller: three aggregate statements whatever the number of bills (status counts of every version;
 * customers, kWh and amount of the current versions by category; failures of the latest runs).
 */
export async function billingStatistics(
  ctx: Context,
  orgUnitSubtree: string | undefined,
  from: string,
  to: string,
): Promise<BillingPeriodStatisticsType[]> {
  ctx.access.assert('read', 'OrgUnit');
  ctx.access.assert('read', 'Bill');
  ctx.access.assert('read', 'Customer');
  const periods = periodsBetween(from, to);
  const billWhere = visibleBills(ctx);
  const runWhere = ctx.access.where<SettlementRun>('read', 'SettlementRun');

  type StatusRow = { period: string; status: BillStatus; n: number };
  type CategoryRow = {
    period: string;
    category: CustomerCategory;
    customers: number;
    bills: number;
    kwh: string;
    amount: string;
  };
  let statuses: StatusRow[] = [];
  let categories: CategoryRow[] = [];
  let failures: { period: string; failed: number }[] = [];
  if (billWhere !== null) {
    const conditions: FilterQuery<Bill>[] = [billWhere, { period: { $in: periods } }];
    if (orgUnitSubtree)
      conditions.push(await subtreeCondition(ctx, orgUnitSubtree, ['orgUnitSubtree'], ['customer', 'orgUnit']));
    const ids = scopedIds(ctx, Bill, { $and: conditions });
    statuses = await aggregate<StatusRow>(
      ctx,
      `select period, status, count(*)::int as n from bill where id in (?) group by period, status`,
      ids,
    );
    // The current version: the latest one that is not superseded (as in the settlement report).
    categories = await aggregate<CategoryRow>(
      ctx,
      `select b.period, c.category, count(distinct b.customer_id)::int as customers, count(*)::int as bills,
              sum(b.total_kwh)::text as kwh, sum(b.total_amount)::text as amount
         from bill b join customer c on c.id = b.customer_id
        where b.id in (?) and b.status <> ?
          and not exists (select 1 from bill l where l.customer_id = b.customer_id and l.period = b.period
                            and l.version > b.version and l.status <> ?)
        group by b.period, c.category`,
      ids,
      [BillStatus.SUPERSEDED, BillStatus.SUPERSEDED],
    );
  }
  if (runWhere !== null) {
    const conditions: FilterQuery<SettlementRun>[] = [runWhere, { period: { $in: periods } }];
    if (orgUnitSubtree) conditions.push(await subtreeCondition(ctx, orgUnitSubtree, ['orgUnitSubtree'], ['orgUnit']));
    const ids = scopedIds(ctx, SettlementRun, { $and: conditions });
    failures = await aggregate(
      ctx,
      `select period, sum(failed_count)::int as failed from settlement_run
        where id in (select max(id) from settlement_run where id in (?) group by org_unit_id, period)
        group by period`,
      ids,
    );
  }

  return periods.map((period) => {
    const byCategory = categories
      .filter((r) => r.period === period)
      .sort((a, b) => CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category))
      .map((r) => ({
        category: r.category,
        customers: Number(r.customers),
        bills: Number(r.bills),
        kwh: new Dec(r.kwh).toFixed(),
        amount: new Dec(r.amount).toFixed(2),
      }));
    return {
      period,
      customers: byCategory.reduce((s, c) => s + c.customers, 0),
      bills: byCategory.reduce((s, c) => s + c.bills, 0),
      kwh: byCategory.reduce((s, c) => s.plus(c.kwh), new Dec(0)).toFixed(),
      amount: byCategory.reduce((s, c) => s.plus(c.amount), new Dec(0)).toFixed(2),
      byCategory,
      statusCounts: Object.values(BillStatus).map((status) => ({
        status,
        count: Number(statuses.find((r) => r.period === period && r.status === status)?.n ?? 0),
      })),
      failedCount: Number(failures.find((f) => f.period === period)?.failed ?? 0),
    };
  });
}
