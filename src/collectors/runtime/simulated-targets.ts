import type { SqlExecutor } from '../ingestion/readings.js';
import { CUSTOMER_OF_METER, groupOf, type CollectionTarget } from './runtime.js';

const REGISTERS = [
  'FORWARD_ACTIVE_TOTAL',
  'FORWARD_ACTIVE_T1',
  'FORWARD_ACTIVE_T2',
  'FORWARD_ACTIVE_T3',
  'FORWARD_ACTIVE_T4',
] as const;

/**
 * Collection targets for meters whose protocol is SIMULATED: each becomes a device of the built-in
 * simulator plugin, seeded with its id, shaped by its customer's category. (Meters on real
 * protocols get their devices from channels.)
 */
export function simulatedTargets(db: SqlExecutor, faultRate: number): () => Promise<CollectionTarget[]> {
  return async () => {
    const rows = await db.execute<{
      id: number;
      category: string | null;
      multiplier: string;
      org_path: string;
      window_start: string | null;
      window_end: string | null;
    }>(
      `select m.id, cu.category, (m.ct_ratio * m.pt_ratio)::text as multiplier, o.path as org_path,
              cu.reading_window_start as window_start, cu.reading_window_end as window_end
         from meter m
         join org_unit o on o.id = m.org_unit_id
         ${CUSTOMER_OF_METER}
        where m.protocol = 'SIMULATED' and m.status = 'INSTALLED'
        order by m.id`,
      [],
    );
    return rows.map((r) => ({
      meterId: Number(r.id),
      pluginId: 'simulator',
      device: {
        id: `meter-${r.id}`,
        settings: {
          seed: Number(r.id),
          profile: (r.category ?? 'RESIDENTIAL').toLowerCase(),
          multiplier: Number(r.multiplier),
          faultRate,
          // Events (power downs, a cover opened now and then) a quarter as often as faults, per meter-hour.
          eventRate: faultRate / 4,
        },
      },
      points: REGISTERS.map((register) => ({ id: register, register, settings: { register } })),
      group: groupOf(r),
    }));
  };
}
