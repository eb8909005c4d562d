import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { AlarmSeverity, AlarmStatus, AlarmType } from './enums.js';
import { Meter } from './meter.entity.js';
import { OrgUnit } from './org-unit.entity.js';
import { User } from './user.entity.js';

/**
 * An abnormality of a meter or of collection. Repeats of an alarm that is still open or acknowledged
 * are merged into it (count, lastAt) instead of creating rows: a partial unique index allows one
 * active alarm per (meter, type). Built for a million rows: bigint key, indexes on the unit and time.
 * The list is ordered by (lastAt, id): `alarm_last_idx` serves it without a status filter (and its
 * time ranges and cursors), `alarm_status_last_idx` with one; `alarm_org_status_idx` counts a
 * subtree's alarms by status from the index alone (bench:alarm-query, docs/benchmarks.md).
 */
@Entity({ tableName: 'alarm' })
@Index({
  name: 'alarm_active_uq',
  expression:
    'create unique index "alarm_active_uq" on "alarm" ("meter_id", "type") where "status" in (\'OPEN\', \'ACKNOWLEDGED\')',
})
@Index({ name: 'alarm_org_last_idx', properties: ['orgUnit', 'lastAt'] })
@Index({ name: 'alarm_status_last_idx', properties: ['status', 'lastAt'] })
@Index({ name: 'alarm_last_idx', properties: ['lastAt', 'id'] })
@Index({ name: 'alarm_org_status_idx', properties: ['orgUnit', 'status'] })
export class Alarm {
  @PrimaryKey({ type: 'bigint' })
  id!: string;

  @Enum({ items: () => AlarmType })
  type!: AlarmType;

  @Enum({ items: () => AlarmSeverity })
  severity!: AlarmSeverity;

  @Enum({ items: () => AlarmStatus, default: AlarmStatus.OPEN })
  status: Opt<AlarmStatus> = AlarmStatus.OPEN;

  @ManyToOne({ entity: () => Meter, nullable: true, deleteRule: 'cascade' })
  meter?: Meter;

  /** Where the alarm belongs for scoping: the meter's unit when it was raised. */
  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict' })
  orgUnit!: OrgUnit;

  @Property({ type: 'string', length: 255 })
  message!: string;

  @Property({ type: 'datetime' })
  firstAt!: Date;

  @Property({ type: 'datetime' })
  lastAt!: Date;

  /** How many times it was raised while active. */
  @Property({ type: 'integer', default: 1 })
  count: Opt<number> = 1;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  acknowledgedBy?: User;

  @Property({ type: 'datetime', nullable: true })
  acknowledgedAt?: Date;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  closedBy?: User;

  /** When the cause went away by itself (the meter answered again). */
  @Property({ type: 'datetime', nullable: true })
  clearedAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  closedAt?: Date;

  @Property({ type: 'string', length: 255, nullable: true })
  note?: string;
}
