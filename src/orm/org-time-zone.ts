import type { EntityManager } from '@mikro-orm/postgresql';
import { OrgUnit } from './entities/index.js';

/**
 * Org paths -> effective time zone: the unit's own, else its nearest ancestor's, else the server
 * default. One query for any number of paths.
 */
export async function effectiveTimeZones(em: EntityManager, paths: readonly string[], fallback: string) {
  const chains = paths.map((p) => p.split('/').filter(Boolean).map(Number));
  const ids = [...new Set(chains.flat())];
  const rows = ids.length
    ? await em.find(OrgUnit, { id: { $in: ids }, timeZone: { $ne: null } }, { fields: ['id', 'timeZone'] })
    : [];
  const zones = new Map(rows.map((r) => [r.id, r.timeZone!]));
  return chains.map(
    (chain) =>
      [...chain]
        .reverse()
        .map((id) => zones.get(id))
        .find(Boolean) ?? fallback,
  );
}
