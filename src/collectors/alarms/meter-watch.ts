import { AlarmType } from '../../orm/entities/enums.js';
import type { Logger } from '../../shared/logger.js';
import type { SqlExecutor } from '../ingestion/readings.js';
import type { AlarmRaiser } from './alarm-raiser.js';

export interface MeterWatchOptions {
  /** A collected meter not heard from for this long is offline. */
  offlineAfterHours: number;
  /** A meter whose total register has not moved for this many days is stopped. */
  stoppedAfterDays: number;
  /** Whether SIMULATED meters are collected (the demo): only then can they be offline. */
  simulated: boolean;
}

/**
 * Server-side detection over the stored data, run periodically: meters under collection that have
 * not answered for a long time (METER_OFFLINE, cleared by the next successful read) and meters
 * whose total register stood still for days (STOPPED_METER, cleared here once it moves again).
 * Each check is one statement that walks the meters once, with index lookups on readings.
 */
export class MeterWatch {
  constructor(
    private readonly db: SqlExecutor,
    private readonly alarms: AlarmRaiser,
    private readonly logger: Logger,
    private readonly options: MeterWatchOptions,
  ) {}

  async run(now = new Date()): Promise<{ offline: number; stopped: number; restarted: number }> {
    const offline = await this.offline(now);
    const { stopped, restarted } = await this.stopped(now);
    if (offline + stopped + restarted)
      this.logger.info({ offline, stopped, restarted }, 'meter watch raised or cleared alarms');
    return { offline, stopped, restarted };
  }

  private async offline(now: Date): Promise<number> {
    const since = new Date(now.getTime() - this.options.offlineAfterHours * 3_600_000);
    const rows = await this.db.execute<{ id: number; last_contact: Date | string | null }>(
      `select m.id, greatest(mc.last_success_at, r.measured_at) as last_contact
         from meter m
         left join meter_collection mc on mc.meter_id = m.id and mc.status = 'OK'
         left join lateral (
           select measured_at from reading
            where meter_id = m.id and register = 'FORWARD_ACTIVE_TOTAL'
            order by measured_at desc limit 1) r on true
        where m.status = 'INSTALLED'
          and (mc.id is not null or (? and m.protocol = 'SIMULATED'))
          and coalesce(m.installed_at, m.created_at) < ?
          and coalesce(greatest(mc.last_success_at, r.measured_at), '-infinity') < ?`,
      [this.options.simulated, since, since],
    );
    for (const row of rows)
      await this.alarms.raise({
        meterId: Number(row.id),
        type: AlarmType.METER_OFFLINE,
        message: row.last_contact
          ? `not heard from since ${new Date(row.last_contact).toISOString()}`
          : 'never heard from since installation',
        at: now,
      });
    return rows.length;
  }

  private async stopped(now: Date): Promise<{ stopped: number; restarted: number }> {
    const days = this.options.stoppedAfterDays;
    // The newest good total, and the newest one at least `days` older: equal means it stood still.
    const rows = await this.db.execute<{ id: number; value: string; since: Date | string; still: boolean }>(
      `select m.id, l.value::text as value, o.measured_at as since, (o.value = l.value) as still
         from meter m
         cross join lateral (
           select value, measured_at from reading
            where meter_id = m.id and register = 'FORWARD_ACTIVE_TOTAL' and quality = 'GOOD'
            order by measured_at desc limit 1) l
         cross join lateral (
           select value, measured_at from reading
            where meter_id = m.id and register = 'FORWARD_ACTIVE_TOTAL' and quality = 'GOOD'
              and measured_at <= l.measured_at - ?::int * interval '1 day'
            order by measured_at desc limit 1) o
        where m.status = 'INSTALLED' and l.measured_at > ?`,
      [days, new Date(now.getTime() - days * 86_400_000)],
    );
    const still = rows.filter((r) => r.still);
    for (const row of still)
      await this.alarms.raise({
        meterId: Number(row.id),
        type: AlarmType.STOPPED_METER,
        message: `total register stayed at ${row.value} kWh since ${new Date(row.since).toISOString()}`,
        at: now,
      });
    const moving = rows.filter((r) => !r.still).map((r) => Number(r.id));
    const cleared = moving.length
      ? await this.db.execute<{ id: string }>(
          `update alarm set status = 'CLEARED', cleared_at = ?
            where type = 'STOPPED_METER' and status in ('OPEN', 'ACKNOWLEDGED') and meter_id = any(?::int[])
            returning id`,
          [now, `{${moving.join(',')}}`],
        )
      : [];
    return { stopped: still.length, restarted: cleared.length };
  }
}
