import { AlarmSeverity, AlarmType } from '../../orm/entities/enums.js';
import type { Events } from '../../shared/events.js';
import type { Logger } from '../../shared/logger.js';
import type { SqlExecutor } from '../ingestion/readings.js';

/** How serious each kind of abnormality is by default. */
export const SEVERITY: Record<AlarmType, AlarmSeverity> = {
  COMMUNICATION_FAILURE: AlarmSeverity.MAJOR,
  READING_FAILURE: AlarmSeverity.MINOR,
  METER_OFFLINE: AlarmSeverity.MAJOR,
  REGISTER_DECREASE: AlarmSeverity.MAJOR,
  STOPPED_METER: AlarmSeverity.MAJOR,
  FLYING_METER: AlarmSeverity.MAJOR,
  ENERGY_OVER_DEVIATION: AlarmSeverity.MINOR,
  CLOCK_DEVIATION: AlarmSeverity.MINOR,
  METER_COVER_OPEN: AlarmSeverity.CRITICAL,
  TERMINAL_COVER_OPEN: AlarmSeverity.CRITICAL,
  POWER_OFF: AlarmSeverity.MAJOR,
  POWER_ON: AlarmSeverity.WARNING,
  REVERSE_ENERGY: AlarmSeverity.MAJOR,
  VOLTAGE_LOSS: AlarmSeverity.CRITICAL,
  CURRENT_LOSS: AlarmSeverity.CRITICAL,
  PHASE_IMBALANCE: AlarmSeverity.MINOR,
  UNKNOWN_METER: AlarmSeverity.WARNING,
  WRONG_TRANSFORMER_AREA: AlarmSeverity.MINOR,
};

/** Kinds that clear by themselves when the meter answers normally again. */
export const CLEARABLE: AlarmType[] = [
  AlarmType.COMMUNICATION_FAILURE,
  AlarmType.READING_FAILURE,
  AlarmType.METER_OFFLINE,
];

export interface AlarmInput {
  meterId: number;
  type: AlarmType;
  message: string;
  at: Date;
}

/**
 * Raises alarms. A repeat of an alarm that is still open or acknowledged is merged into it (count
 * and last time grow, no new row, no new event), so a meter that fails every cycle is one alarm.
 * New alarms are published to subscribers with their org path.
 */
export class AlarmRaiser {
  constructor(
    private readonly db: SqlExecutor,
    private readonly events: Events,
    private readonly logger: Logger,
  ) {}

  async raise(input: AlarmInput): Promise<{ id: string; created: boolean } | undefined> {
    const rows = await this.db.execute<{ id: string | number; created: boolean; path: string }>(
      `insert into alarm (type, severity, status, meter_id, org_unit_id, message, first_at, last_at, count)
       select ?, ?, 'OPEN', m.id, m.org_unit_id, ?, ?, ?, 1 from meter m where m.id = ?
       on conflict (meter_id, type) where status in ('OPEN', 'ACKNOWLEDGED')
       do update set last_at = greatest(alarm.last_at, excluded.last_at), count = alarm.count + 1, message = excluded.message
       returning id, (xmax = 0) as created, (select path from org_unit o where o.id = alarm.org_unit_id) as path`,
      [input.type, SEVERITY[input.type], input.message.slice(0, 255), input.at, input.at, input.meterId],
    );
    const row = rows[0];
    if (!row) return undefined; // the meter no longer exists
    const id = String(row.id);
    if (CLEARABLE.includes(input.type)) (await this.activeSet()).add(`${input.meterId}:${input.type}`);
    if (row.created) {
      this.events.publish('ALARM_RAISED', {
        alarmId: id,
        meterId: input.meterId,
        type: input.type,
        severity: SEVERITY[input.type],
        orgPath: row.path,
      });
    }
    return { id, created: Boolean(row.created) };
  }

  /** Active (meter, type) pairs of clearable kinds, loaded once and kept in step, so that clearing costs no query per read. */
  private active?: Promise<Set<string>>;

  private activeSet(): Promise<Set<string>> {
    this.active ??= this.db
      .execute<{ meter_id: number; type: string }>(
        `select meter_id, type from alarm where status in ('OPEN', 'ACKNOWLEDGED') and type in (${CLEARABLE.map(() => '?').join(',')})`,
        [...CLEARABLE],
      )
      .then((rows) => new Set(rows.map((r) => `${r.meter_id}:${r.type}`)));
    return this.active;
  }

  /**
   * The cause went away (the meter answered, every value was read): active alarms of these kinds
   * become CLEARED. Costs a query only when such an alarm is active.
   */
  async clear(meterId: number, types: AlarmType[]): Promise<number> {
    const active = await this.activeSet();
    const due = types.filter((t) => active.has(`${meterId}:${t}`));
    if (!due.length) return 0;
    const rows = await this.db.execute<{ id: string }>(
      `update alarm set status = 'CLEARED', cleared_at = now()
        where meter_id = ? and type in (${due.map(() => '?').join(',')}) and status in ('OPEN', 'ACKNOWLEDGED') returning id`,
      [meterId, ...due],
    );
    for (const t of due) active.delete(`${meterId}:${t}`);
    return rows.length;
  }

  clearLater(meterId: number, types: AlarmType[]): void {
    this.clear(meterId, types).catch((error: unknown) => this.logger.warn({ err: error }, 'clearing alarms failed'));
  }

  /** Fire-and-forget for hot paths: failures are logged, never thrown into collection. */
  raiseLater(input: AlarmInput): void {
    this.raise(input).catch((error: unknown) =>
      this.logger.warn({ err: error, alarm: input.type }, 'raising an alarm failed'),
    );
  }
}
