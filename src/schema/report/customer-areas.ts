import type { EntityManager } from '@mikro-orm/postgresql';
import { OrgUnitKind } from '../../orm/entities/index.js';
import { pgArray } from '../../shared/pg-array.js';
import { escapeLike } from '../common/index.js';

/**
 * The transformer area of each customer at an instant, in one statement for any number of
 * customers: the area owning the meter last installed on one of the customer's service points
 * before `at` (meter.org_unit_id is the installed meter's area). Customers with no such meter are
 * absent from the map. Not scoped: callers pass customers the user may read.
 */
export async function areasOfCustomers(
  em: EntityManager,
  customerIds: readonly number[],
  at: Date,
): Promise<Map<number, number>> {
  if (!customerIds.length) return new Map();
  const rows: { customer_id: number | string; area_id: number | string }[] = await em.getConnection().execute(
    `select distinct on (s.customer_id) s.customer_id, m.org_unit_id as area_id
       from service_point s
       join meter_assignment a on a.service_point_id = s.id
       join meter m on m.id = a.meter_id
       join org_unit o on o.id = m.org_unit_id
      where s.customer_id = any(?::int[]) and o.kind = ? and a.installed_at < ?
      order by s.customer_id, a.installed_at desc, a.id desc`,
    [pgArray([...customerIds]), OrgUnitKind.TRANSFORMER_AREA, at.toISOString()],
  );
  return new Map(rows.map((r) => [Number(r.customer_id), Number(r.area_id)]));
}

/**
 * The supply station above (or at) each unit, from the materialised paths, in one statement:
 * path "/1/4/9/" -> the unit among 1, 4, 9 of kind SUPPLY_STATION. Units under no station are absent.
 */
export async function stationsOfPaths(em: EntityManager, paths: readonly string[]): Promise<Map<string, number>> {
  const idsOf = (path: string) => path.split('/').filter(Boolean).map(Number);
  const ids = [...new Set(paths.flatMap(idsOf))];
  if (!ids.length) return new Map();
  const rows: { id: number | string }[] = await em
    .getConnection()
    .execute(`select id from org_unit where id = any(?::int[]) and kind = ?`, [
      pgArray(ids),
      OrgUnitKind.SUPPLY_STATION,
    ]);
  const stations = new Set(rows.map((r) => Number(r.id)));
  const out = new Map<string, number>();
  for (const path of paths) {
    const station = idsOf(path)
      .reverse()
      .find((id) => stations.has(id));
    if (station !== undefined) out.set(path, station);
  }
  return out;
}

/**
 * The customers whose area (as `areasOfCustomers` decides it, at `at`) is the given transformer
 * area or lies under it: customers belong to stations, their meters to areas, so a report of an
 * area selects its customers through their meters. Two statements. Not scoped.
 */
export async function customersOfArea(em: EntityManager, areaPath: string, at: Date): Promise<number[]> {
  const rows: { customer_id: number | string }[] = await em.getConnection().execute(
    `select distinct s.customer_id
       from meter_assignment a
       join meter m on m.id = a.meter_id
       join org_unit o on o.id = m.org_unit_id
       join service_point s on s.id = a.service_point_id
      where o.path like ? and a.installed_at < ?`,
    [`${escapeLike(areaPath)}%`, at.toISOString()],
  );
  const candidates = rows.map((r) => Number(r.customer_id));
  const areas = await areasOfCustomers(em, candidates, at);
  const inside: { id: number | string }[] = areas.size
    ? await em
        .getConnection()
        .execute(`select id from org_unit where id = any(?::int[]) and path like ?`, [
          pgArray([...new Set(areas.values())]),
          `${escapeLike(areaPath)}%`,
        ])
    : [];
  const ids = new Set(inside.map((r) => Number(r.id)));
  return candidates.filter((c) => ids.has(areas.get(c)!)).sort((a, b) => a - b);
}
