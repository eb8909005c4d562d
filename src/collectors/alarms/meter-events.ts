import { AlarmType } from '../../orm/entities/enums.js';
import type { Logger } from '../../shared/logger.js';
import { pgArray } from '../../shared/pg-array.js';
import type { SqlExecutor } from '../ingestion/readings.js';
import type { DeviceEvent } from '../sdk/index.js';
import type { AlarmRaiser } from './alarm-raiser.js';

/** Meter clocks drift: an event up to this far in the future is taken as now-ish, beyond it as wrong. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** Conditions that end by themselves: once the meter recorded the end, the alarm is cleared. */
const SELF_ENDING = new Set<string>([AlarmType.POWER_OFF, AlarmType.VOLTAGE_LOSS, AlarmType.CURRENT_LOSS]);

const ALARM_TYPES = new Set<string>(Object.values(AlarmType));

/**
 * Events the server itself records about a meter (commands it sent), next to the ones read from
 * the meter's log. They are dated by the server's clock, so they never move the position from which
 * the meter's own records are read.
 */
export const COMMAND_EVENT_TYPES = ['RELAY_TRIPPED', 'RELAY_PERMITTED', 'RELAY_COMMAND_FAILED'] as const;
export type CommandEventType = (typeof COMMAND_EVENT_TYPES)[number];

/** How long an unfinished power-off keeps being re-read for its end. */
const OPEN_EVENT_WINDOW_MS = 7 * 86_400_000;

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
  /** The oldest self-ending event per meter still waiting for its end. */
  private readonly unfinished = new Map<number, Date>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly alarms: AlarmRaiser,
    private readonly logger: Logger,
  ) {}

  /**
   * Where the plugin should start: after the newest stored event, or just before the oldest
   * self-ending one of the last week still without an end, so that its end is read when recorded.
   */
  async since(meterId: number): Promise<Date | undefined> {
    // Every meter's position in one statement at the first call, not a query per meter and cycle.
    this.loaded ??= this.db
      .execute<{ meter_id: number; at: Date | string; open: Date | string | null }>(
        `select meter_id, max(occurred_at) as at,
                min(occurred_at) filter (where ended_at is null and type = any(?::text[]) and occurred_at > ?) as open
           from meter_event where type <> all(?::text[]) group by meter_id`,
        [
          `{${[...SELF_ENDING].join(',')}}`,
          new Date(Date.now() - OPEN_EVENT_WINDOW_MS),
          `{${COMMAND_EVENT_TYPES.join(',')}}`,
        ],
      )
      .then((rows) => {
        for (const row of rows) {
          this.newest.set(Number(row.meter_id), new Date(row.at));
          if (row.open) this.unfinished.set(Number(row.meter_id), new Date(row.open));
        }
      });
    try {
      await this.loaded;
    } catch (error) {
      this.loaded = undefined;
      throw error;
    }
    const open = this.unfinished.get(meterId);
    return open ? new Date(open.getTime() - 1) : this.newest.get(meterId);
  }

  private loaded?: Promise<void>;

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
    // New records are inserted; a known one that has ended since is given its end (and nothing else).
    const rows = await this.db.execute<{
      type: string;
      occurred_at: Date | string;
      ended_at: Date | string | null;
      created: boolean;
    }>(
      `insert into meter_event (meter_id, type, occurred_at, ended_at, detail)
       select ?, t, o, e, d::jsonb from unnest(?::text[], ?::timestamptz[], ?::timestamptz[], ?::text[]) as x(t, o, e, d)
       on conflict (meter_id, type, occurred_at) do update set ended_at = excluded.ended_at
         where meter_event.ended_at is null and excluded.ended_at is not null
       returning type, occurred_at, ended_at, (xmax = 0) as created`,
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
    this.trackUnfinished(meterId, kept);
    for (const row of rows.sort((a, b) => new Date(a.occurred_at).getTime() - new Date(b.occurred_at).getTime())) {
      if (!ALARM_TYPES.has(row.type)) continue;
      const at = new Date(row.occurred_at);
      const ended = row.ended_at ? new Date(row.ended_at) : undefined;
      if (!row.created) {
        // A condition the meter reported earlier has ended: its alarm is cleared at the end time.
        if (ended)
          await this.db.execute(
            `update alarm set status = 'CLEARED', cleared_at = ?
              where meter_id = ? and type = ? and status in ('OPEN', 'ACKNOWLEDGED')`,
            [ended, meterId, row.type],
          );
        continue;
      }
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
    return { stored: rows.filter((r) => r.created).length, dropped };
  }

  /**
   * Records a command the server sent to the meter (a relay trip, a permit to reconnect, or one the
   * meter did not carry out), with who asked, as a meter event: staff see it in the meter's events.
   */
  async recordCommand(
    meterId: number,
    type: CommandEventType,
    detail: Record<string, string | number | boolean>,
    at = new Date(),
  ): Promise<void> {
    await this.db.execute(
      `insert into meter_event (meter_id, type, occurred_at, detail) values (?, ?, ?, ?::jsonb)
       on conflict (meter_id, type, occurred_at) do nothing`,
      [meterId, type, at, JSON.stringify(detail)],
    );
  }

  private trackUnfinished(meterId: number, events: DeviceEvent[]) {
    const horizon = Date.now() - OPEN_EVENT_WINDOW_MS;
    const current = this.unfinished.get(meterId);
    const stillOpen = events.filter((e) => SELF_ENDING.has(e.type) && !e.endedAt && e.occurredAt.getTime() > horizon);
    const endedNow = events.some((e) => current && e.endedAt && e.occurredAt.getTime() === current.getTime());
    const candidates = [...stillOpen.map((e) => e.occurredAt), ...(current && !endedNow ? [current] : [])];
    if (candidates.length) this.unfinished.set(meterId, new Date(Math.min(...candidates.map((d) => d.getTime()))));
    else this.unfinished.delete(meterId);
  }
}

function describe(type: string): string {
  return type
    .toLowerCase()
    .replace(/_/g, ' ')
    .replace(/^./, (c) => c.toUpperCase());
}
