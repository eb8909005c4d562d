import { Entity, Enum, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Timestamped } from './base.js';
import { Channel } from './channel.entity.js';
import { ScheduleKind } from './enums.js';
import { OrgUnit } from './org-unit.entity.js';

/**
 * When to read which meters. The group is every collectable installed meter under `orgUnit`
 * (narrowed to one channel when `channel` is set). INTERVAL schedules read current registers at
 * every slot of `intervalMinutes`, aligned to local midnight; DAILY_FROZEN schedules read the value
 * each meter froze at local 00:00, inside the customer's reading window (or the schedule's own).
 */
@Entity({ tableName: 'collection_schedule' })
export class CollectionSchedule extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  name!: string;

  @Enum({ items: () => ScheduleKind })
  kind!: ScheduleKind;

  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict', index: true })
  orgUnit!: OrgUnit;

  @ManyToOne({ entity: () => Channel, nullable: true, deleteRule: 'cascade', index: true })
  channel?: Channel;

  /** INTERVAL: minutes between slots (a divisor of a day is usual: 1, 5, 15, 30, 60). */
  @Property({ type: 'smallint', default: 15 })
  intervalMinutes: Opt<number> = 15;

  /**
   * Local "HH:MM" window. INTERVAL: only slots starting inside it run (none = all day).
   * DAILY_FROZEN: overrides the customers' reading windows (none = each customer's own).
   */
  @Property({ type: 'string', length: 5, nullable: true })
  windowStart?: string;

  @Property({ type: 'string', length: 5, nullable: true })
  windowEnd?: string;

  /** Attempts per meter and slot, the first read included, before re-collection gives up. */
  @Property({ type: 'smallint', default: 4 })
  maxAttempts: Opt<number> = 4;

  /** Also read the meters' event records (cover open, power down...) after each successful read. */
  @Property({ type: 'boolean', default: false })
  readEvents: Opt<boolean> = false;

  @Property({ type: 'boolean', default: true })
  enabled: Opt<boolean> = true;
}
