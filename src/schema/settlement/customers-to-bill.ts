import type { EntityManager } from '@mikro-orm/postgresql';
import { DateTime } from 'luxon';
import { addMonths, billingCycle } from '../../billing/local-days.js';
import type { SettlementFailure } from '../../orm/entities/index.js';
import { effectiveTimeZones } from '../../orm/org-time-zone.js';
import { pgArray } from '../../shared/pg-array.js';
import type { TariffDirectory } from '../tariff/index.js';
import type { CustomerToBill } from './bill-computation.js';

interface CustomerRow {
  id: number;
  account_no: string;
  billing_day: number;
  category: string;
  tariff_id: number | null;
  path: string;
  points: number[] | string | null;
  prev_cycle_end: string | Date | null;
  prev_tier_used_after: string | null;
}

const asDate = (d: string | Date) => (typeof d === 'string' ? d.slice(0, 10) : DateTime.fromJSDate(d).toISODate()!);
const asIds = (v: number[] | string | null): number[] =>
  v === null ? [] : Array.isArray(v) ? v.map(Number) : v.replace(/[{}]/g, '').split(',').filter(Boolean).map(Number);

/**
 * What the run needs of each customer, in one statement per batch: reading day, tariff, zone,
 * service points, and the previous period's bill (its tier count carries into this cycle).
 */
export async function loadCustomersToBill(
  em: EntityManager,
  ids: readonly number[],
  period: string,
  tariffs: TariffDirectory,
  defaultTimeZone: string,
): Promise<{ customers: CustomerToBill[]; failures: SettlementFailure[] }> {
  const rows: CustomerRow[] = await em.getConnection().execute(
    `select c.id, c.account_no, c.billing_day, c.category, c.tariff_id, o.path,
            (select array_agg(sp.id order by sp.id) from service_point sp where sp.customer_id = c.id) as points,
            prev.cycle_end as prev_cycle_end, prev.tier_used_after::text as prev_tier_used_after
       from customer c
       join org_unit o on o.id = c.org_unit_id
       left join lateral (
         select b.cycle_end, b.tier_used_after from bill b
          where b.customer_id = c.id and b.period = ? and b.status <> 'SUPERSEDED'
          order by b.version desc limit 1) prev on true
      where c.id = any(?::int[])
      order by c.id`,
    [addMonths(period, -1), pgArray([...ids])],
    'all',
    em.getTransactionContext(),
  );
  const zones = await effectiveTimeZones(
    em,
    rows.map((r) => r.path),
    defaultTimeZone,
  );
  const customers: CustomerToBill[] = [];
  const failures: SettlementFailure[] = [];
  rows.forEach((row, i) => {
    const tariff = tariffs.forCustomer({ tariffId: row.tariff_id, category: row.category });
    if (!tariff) {
      failures.push({
        customerId: row.id,
        accountNo: row.account_no,
        code: 'NO_TARIFF',
        reason: `no tariff: the customer has none and ${row.category} has no default tariff`,
      });
      return;
    }
    const { start } = billingCycle(period, row.billing_day);
    // The previous bill carries the tier count only when its cycle ends where this one starts.
    const carried =
      row.prev_cycle_end !== null && asDate(row.prev_cycle_end) === start ? row.prev_tier_used_after! : undefined;
    customers.push({
      id: row.id,
      accountNo: row.account_no,
      billingDay: row.billing_day,
      zone: zones[i]!,
      tariffCode: tariff.code,
      versions: tariff.versions,
      servicePointIds: asIds(row.points),
      tierUsedBefore: start.endsWith('-01-01') ? '0' : carried,
    });
  });
  return { customers, failures };
}
