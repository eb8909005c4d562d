import { AlarmType } from '../../orm/entities/enums.js';
import type { Logger } from '../../shared/logger.js';
import { pgArray } from '../../shared/pg-array.js';
import type { SqlExecutor } from '../ingestion/ingestion.js';
import type { DeviceEvent } from '../sdk/index.js';
import type { AlarmRaiser } from './alarm-raiser.js';

/** Meter clocks drift: an event up to this far in the future is taken as now-ish, beyond it as wrong. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** Conditions that end by themselves: once the meter recorded the end, the alarm is cleared. */
const SELF_ENDING = new Set<string>([AlarmType.POWER_OFF, AlarmType.VOLTAGE_LOSS, AlarmType.CURRENT_LOSS]);

const ALARM_TYPES = new Set<string>(Object.values(AlarmType));

export interface RecordedEvents {
  stored: number;
  dropped: { event: DeviceEvent; reason: string }[];
}

/**
 * Meter event records into `meter_event` and alarms. Each (meter, type, start time) is stored once,
 * so the same record read on every collection raises one alarm; events dated in the future or
 * before the meter was installed are dropped (a meter with a wrong clock, or a record from the
 * meter's previous life) and logged.
 */
export class MeterEvents {
  /** The newest stored event per meter, so that plugins only read records after it. */
  private readonly newest = new Map<number, Date | undefined>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly alarms: AlarmRaiser,
    private readonly logger: Logger,
  ) {}

  async since(meterId: number): Promise<Date | undefined> {
    if (!this.newest.has(meterId)) {
      const [row] = await this.db.execute<{ at: Date | string | null }>(
        `select max(occurred_at) as at from meter_event where meter_id = ?`,
        [meterId],
      );
      this.newest.set(meterId, row?.at ? new Date(row.at) : undefined);
    }
    return this.newest.get(meterId);
  }

  async record(meterId: number, events: DeviceEvent[], now = new Date()): Promise<RecordedEvents> {
    if (!events.length) return { stored: 0, dropped: [] };
    const [meter] = await this.db.execute<{ installed_at: Date | string | null }>(
      `select installed_at from meter where id = ?`,
      [meterId],
    );
    const installedAt = meter?.installed_at ? new Date(meter.installed_at).getTime() : undefined;
    const dropped: RecordedEvents['dropped'] = [];
    const kept = events.filter((event) => {
      const at = event.occurredAt.getTime();
      const reason =
        at > now.getTime() + FUTURE_TOLERANCE_MS
          ? 'dated in the future'
          : installedAt !== undefined && at < installedAt
            ? 'dated before the meter was installed'
            : undefined;
      if (reason) dropped.push({ event, reason });
      return !reason;
    });
    if (dropped.length)
      this.logger.warn(
        { meterId, dropped: dropped.map((d) => ({ type: d.event.type, at: d.event.occurredAt, reason: d.reason })) },
        'meter events dropped',
      );
    if (!kept.length) return { stored: 0, dropped };
    const rows = await this.db.execute<{ type: string; occurred_at: Date | string; ended_at: Date | string | null }>(
      `insert into meter_event (meter_id, type, occurred_at, ended_at, detail)
       select ?, t, o, e, d::jsonb from unnest(?::text[], ?::timestamptz[], ?::timestamptz[], ?::text[]) as x(t, o, e, d)
       on conflict (meter_id, type, occurred_at) do nothing
       returning type, occurred_at, ended_at`,
      [
        meterId,
        pgArray(kept.map((e) => e.type.slice(0, 64))),
        pgArray(kept.map((e) => e.occurredAt.toISOString())),
        pgArray(kept.map((e) => e.endedAt?.toISOString())),
        pgArray(kept.map((e) => (e.detail ? JSON.stringify(e.detail) : null))),
      ],
    );
    const latest = Math.max(...kept.map((e) => e.occurredAt.getTime()));
    const known = this.newest.get(meterId);
    if (!known || known.getTime() < latest) this.newest.set(meterId, new Date(latest));
    for (const row of rows.sort((a, b) => new Date(a.occurred_at).getTime() - new Date(b.occurred_at).getTime())) {
      if (!ALARM_TYPES.has(row.type)) continue;
      const at = new Date(row.occurred_at);
      const ended = row.ended_at ? new Date(row.ended_at) : undefined;
      const raised = await this.alarms.raise({
        meterId,
        type: row.type as AlarmType,
        message: `${describe(row.type)} recorded by the meter at ${at.toISOString()}${ended ? `, ended ${ended.toISOString()}` : ''}`,
        at,
      });
      if (raised && ended && SELF_ENDING.has(row.type))
        await this.db.execute(
          `update alarm set status = 'CLEARED', cleared_at = ? where id = ? and status in ('OPEN', 'ACKNOWLEDGED')`,
          [ended, raised.id],
        );
    }
    return { stored: rows.length, dropped };
  }
}

function describe(type: string): string {
  return type
    .toLowerCase()
    .replace(/_/g, ' ')
    .replace(/^./, (c) => c.toUpperCase());
}
