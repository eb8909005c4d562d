import type { EntityManager } from '@mikro-orm/postgresql';
import { localDateOf } from '../billing/local-days.js';
import { effectiveTimeZones } from '../orm/org-time-zone.js';
import { pgArray } from '../shared/pg-array.js';
import { groupBy } from '../shared/group-by.js';
import { computeBills, loadCustomersToBill, writeDrafts } from '../schema/settlement/index.js';
import { loadTariffDirectory } from '../schema/tariff/index.js';

export interface CorrectedValue {
  meterId: number;
  measuredAt: Date;
}

export interface RebillResult {
  /** Bills drafted: drafts recomputed in place and new versions of approved or issued bills. */
  billIds: number[];
  /** Bills a correction reached that could not be recomputed (the reason is the failure's). */
  failures: { customerId: number; period: string; reason: string }[];
}

/**
 * Recomputes the bills a corrected value bounds: every cycle (latest version, not superseded) of a
 * customer whose service points that meter measured, whose local dates include the value's local
 * date (a cycle's first and last midnight both bound it). Drafts are recomputed in place; an
 * approved or issued bill whose amount changed gets its next version, carrying the difference.
 * Runs in the caller's transaction context, all or nothing.
 */
export async function rebillAfterCorrections(
  em: EntityManager,
  changes: readonly CorrectedValue[],
  reason: string,
  defaultTimeZone: string,
): Promise<RebillResult> {
  const result: RebillResult = { billIds: [], failures: [] };
  if (!changes.length) return result;
  // Candidates, generously by UTC date (a day either side); the zone check below is exact.
  const candidates: {
    customer_id: number;
    period: string;
    cycle_start: string | Date;
    cycle_end: string | Date;
    path: string;
    meter_id: number;
    measured_at: string;
  }[] = await em.getConnection().execute(
    `select distinct on (b.customer_id, b.period, v.meter_id, v.measured_at)
            b.customer_id, b.period, b.cycle_start, b.cycle_end, o.path, v.meter_id, v.measured_at::text as measured_at
       from unnest(?::int[], ?::timestamptz[]) as v(meter_id, measured_at)
       join meter_assignment a on a.meter_id = v.meter_id
       join service_point sp on sp.id = a.service_point_id
       join customer c on c.id = sp.customer_id
       join org_unit o on o.id = c.org_unit_id
       join bill b on b.customer_id = c.id and b.status <> 'SUPERSEDED'
      where b.cycle_start <= (v.measured_at + interval '1 day')::date
        and b.cycle_end >= (v.measured_at - interval '1 day')::date
      order by b.customer_id, b.period, v.meter_id, v.measured_at, b.version desc`,
    [pgArray(changes.map((c) => c.meterId)), pgArray(changes.map((c) => c.measuredAt.toISOString()))],
    'all',
    em.getTransactionContext(),
  );
  if (!candidates.length) return result;
  const zones = await effectiveTimeZones(
    em,
    candidates.map((c) => c.path),
    defaultTimeZone,
  );
  const day = (d: string | Date) => (typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10));
  const affected = new Map<string, { customerId: number; period: string }>();
  candidates.forEach((c, i) => {
    const local = localDateOf(new Date(c.measured_at), zones[i]!);
    if (local >= day(c.cycle_start) && local <= day(c.cycle_end))
      affected.set(`${c.customer_id}|${c.period}`, { customerId: c.customer_id, period: c.period });
  });
  const byPeriod = groupBy(affected.values(), (a) => a.period);
  const tariffs = await loadTariffDirectory(em);
  for (const [period, group] of byPeriod) {
    const customerIds = group.map((a) => a.customerId);
    const { customers, failures } = await loadCustomersToBill(em, customerIds, period, tariffs, defaultTimeZone);
    const outcomes = await computeBills(em, customers, period);
    for (const f of [...failures, ...outcomes.flatMap((o) => (o.ok ? [] : [o.failure]))])
      result.failures.push({ customerId: f.customerId, period, reason: f.reason });
    const written = await writeDrafts(
      em,
      outcomes.flatMap((o) => (o.ok ? [o.draft] : [])),
      { reason },
    );
    result.billIds.push(...written.billIds);
  }
  return result;
}
