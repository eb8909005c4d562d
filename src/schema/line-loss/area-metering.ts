import type { EntityManager } from '@mikro-orm/postgresql';
import type { MeterSpan } from '../../billing/consumption.js';
import type { AreaCustomerMeter, AreaMetering } from '../../billing/line-loss.js';
import { AlarmStatus, AlarmType, type OrgUnit } from '../../orm/entities/index.js';
import { pgArray } from '../../shared/pg-array.js';
import { loadServicePointSpans, wholeLifeSpan } from '../consumption/index.js';

/**
 * What the line loss engine needs of many transformer areas, in four statements whatever their
 * number: supply meters, the customers' service points, their meter spans (exchanges included),
 * and the open wrong-area alarms. Not scoped: callers pass areas the user may read (the API) or
 * that a report covers.
 *
 * A service point belongs to an area when a meter of the area (meter.org_unit_id, the installed
 * meter's owner) was on it at some time in [start, end); the meter reported for it is the last
 * such one. Its consumption then counts every meter it had in the period (loadServicePointSpans).
 */
export async function loadAreaMetering(
  em: EntityManager,
  areas: readonly OrgUnit[],
  start: Date,
  end: Date,
): Promise<Map<number, AreaMetering>> {
  const areaIds = areas.map((a) => a.id);
  const supplyIds = areas.flatMap((a) => (a.supplyMeter ? [a.supplyMeter.id] : []));
  const conn = em.getConnection();
  const supplies: { id: number; ct_ratio: string; pt_ratio: string; register_digits: number }[] = supplyIds.length
    ? await conn.execute(
        `select id, ct_ratio::text as ct_ratio, pt_ratio::text as pt_ratio, register_digits from meter where id = any(?::int[])`,
        [pgArray(supplyIds)],
      )
    : [];
  const points: {
    area_id: number;
    service_point_id: number;
    meter_id: number;
    customer_id: number;
    contracted_capacity: string;
  }[] = areaIds.length
    ? await conn.execute(
        `select distinct on (m.org_unit_id, a.service_point_id)
                m.org_unit_id as area_id, a.service_point_id, a.meter_id, s.customer_id,
                c.contracted_capacity::text as contracted_capacity
           from meter_assignment a
           join meter m on m.id = a.meter_id
           join service_point s on s.id = a.service_point_id
           join customer c on c.id = s.customer_id
          where m.org_unit_id = any(?::int[]) and a.installed_at < ? and (a.removed_at is null or a.removed_at > ?)
          order by m.org_unit_id, a.service_point_id, a.installed_at desc`,
        [pgArray(areaIds), end.toISOString(), start.toISOString()],
      )
    : [];
  const spans = await loadServicePointSpans(
    em,
    points.map((p) => p.service_point_id),
  );
  const meterIds = points.map((p) => p.meter_id);
  const alarmed = new Set(
    meterIds.length
      ? (
          (await conn.execute(
            `select distinct meter_id from alarm where type = ? and status in (?, ?) and meter_id = any(?::int[])`,
            [AlarmType.WRONG_TRANSFORMER_AREA, AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED, pgArray(meterIds)],
          )) as { meter_id: number | string }[]
        ).map((r) => Number(r.meter_id))
      : [],
  );
  const supplyById = new Map(
    supplies.map((m) => [
      m.id,
      wholeLifeSpan({ id: m.id, ctRatio: m.ct_ratio, ptRatio: m.pt_ratio, registerDigits: m.register_digits }),
    ]),
  );
  const customers = new Map<number, AreaCustomerMeter[]>(areaIds.map((id) => [id, []]));
  for (const p of points) {
    customers.get(p.area_id)!.push({
      servicePointId: p.service_point_id,
      meterId: p.meter_id,
      customerId: p.customer_id,
      spans: spans.get(p.service_point_id) ?? ([] as MeterSpan[]),
      contractedCapacity: p.contracted_capacity,
      wrongAreaAlarm: alarmed.has(p.meter_id),
    });
  }
  return new Map(
    areas.map((a) => {
      const supply = a.supplyMeter ? supplyById.get(a.supplyMeter.id) : undefined;
      const band =
        a.lineLossMin != null && a.lineLossMax != null ? { min: a.lineLossMin, max: a.lineLossMax } : undefined;
      return [
        a.id,
        { ...(supply ? { supply } : {}), customers: customers.get(a.id)!, ...(band ? { band } : {}) },
      ] as const;
    }),
  );
}

/** Every meter whose values the engine reads: supply meters and every span of every customer. */
export function meterIdsOfAreas(metering: Iterable<AreaMetering>): number[] {
  return [...metering].flatMap((m) => [
    ...(m.supply ? [m.supply.meterId] : []),
    ...m.customers.flatMap((c) => c.spans.map((s) => s.meterId)),
  ]);
}
