import type { SqlExecutor } from '../ingestion/readings.js';
import { CUSTOMER_OF_METER, groupOf, type CollectionTarget } from './runtime.js';

/**
 * Collection targets for meters attached to enabled channels whose settings are usable: the
 * device settings are the channel's, overlaid with the meter's own. `meterId` narrows to one meter
 * (an on-demand read).
 */
export function channelTargets(db: SqlExecutor): (meterId?: number) => Promise<CollectionTarget[]> {
  return async (meterId) => {
    const rows = await db.execute<{
      meter_id: number;
      plugin_id: string;
      channel_settings: Record<string, unknown> | string;
      meter_settings: Record<string, unknown> | string;
      points: { register: string; settings: Record<string, unknown> }[] | string;
      channel_id: number;
      org_path: string;
      window_start: string | null;
      window_end: string | null;
    }>(
      `select mc.meter_id, c.plugin_id, c.settings as channel_settings, mc.settings as meter_settings, mc.points,
              c.id as channel_id, o.path as org_path, cu.reading_window_start as window_start, cu.reading_window_end as window_end
         from meter_collection mc
         join channel c on c.id = mc.channel_id
         join meter m on m.id = mc.meter_id
         join org_unit o on o.id = m.org_unit_id
         ${CUSTOMER_OF_METER}
        where c.enabled and c.status = 'OK' and mc.status = 'OK' and m.status = 'INSTALLED'
          ${meterId === undefined ? '' : 'and mc.meter_id = ?'}
        order by mc.meter_id`,
      meterId === undefined ? [] : [meterId],
    );
    const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
    return rows.map((r) => ({
      meterId: Number(r.meter_id),
      pluginId: r.plugin_id,
      device: { id: `meter-${r.meter_id}`, settings: { ...json(r.channel_settings), ...json(r.meter_settings) } },
      points: json(r.points).map((p) => ({ id: p.register, register: p.register as never, settings: p.settings })),
      group: groupOf(r),
    }));
  };
}
