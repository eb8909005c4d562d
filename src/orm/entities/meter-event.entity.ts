import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { Meter } from './meter.entity.js';

/**
 * An event a meter recorded (cover opened, power down...), as read from its event registers. The
 * type and the meter's own start time identify it, so reading the same record again adds nothing;
 * a new row is what raises an alarm.
 */
@Entity({ tableName: 'meter_event' })
@Unique({ name: 'meter_event_uq', properties: ['meter', 'type', 'occurredAt'] })
@Index({ name: 'meter_event_occurred_idx', properties: ['occurredAt'] })
export class MeterEvent {
  @PrimaryKey({ type: 'bigint' })
  id!: string;

  @ManyToOne({ entity: () => Meter, deleteRule: 'cascade' })
  meter!: Meter;

  /**
   * An EVENT_TYPES name of the collector SDK, the plugin's own, or a command the server sent
   * (COMMAND_EVENT_TYPES of collectors/alarms/meter-events.ts: RELAY_TRIPPED...).
   */
  @Property({ type: 'string', length: 64 })
  type!: string;

  @Property({ type: 'datetime' })
  occurredAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  endedAt?: Date;

  @Property({ type: 'json', nullable: true })
  detail?: Record<string, string | number | boolean>;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  receivedAt: Opt<Date> = new Date();
}
