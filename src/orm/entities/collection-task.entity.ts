import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { CollectionSchedule } from './collection-schedule.entity.js';
import { TaskKind, TaskStatus } from './enums.js';
import { OrgUnit } from './org-unit.entity.js';
import { User } from './user.entity.js';

/**
 * One run of a schedule for one slot (or one on-demand read), with counts. Meters that answered
 * are counted, not stored: at ten million meters every 15 minutes a row per meter and slot would be
 * a billion rows a day. Meters that did not answer get a CollectionRetry each.
 */
@Entity({ tableName: 'collection_task' })
@Unique({ name: 'collection_task_slot_uq', properties: ['schedule', 'slot'] })
@Index({ name: 'collection_task_org_started_idx', properties: ['orgUnit', 'startedAt'] })
export class CollectionTask {
  @PrimaryKey({ type: 'bigint' })
  id!: string;

  @ManyToOne({ entity: () => CollectionSchedule, nullable: true, deleteRule: 'cascade' })
  schedule?: CollectionSchedule;

  @Enum({ items: () => TaskKind })
  kind!: TaskKind;

  /** The slot read: an interval's start, or the local midnight whose frozen values are read. */
  @Property({ type: 'datetime' })
  slot!: Date;

  /** For scoping: the schedule's unit, or the meter's for an on-demand read. */
  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict' })
  orgUnit!: OrgUnit;

  @Enum({ items: () => TaskStatus, default: TaskStatus.RUNNING })
  status: Opt<TaskStatus> = TaskStatus.RUNNING;

  /** Meters the task read or tried to (grows while a daily-frozen task's windows open). */
  @Property({ type: 'integer', default: 0 })
  meters: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  succeeded: Opt<number> = 0;

  /** Meters waiting for another attempt. */
  @Property({ type: 'integer', default: 0 })
  retrying: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  gaveUp: Opt<number> = 0;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  startedAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date;

  /** Who asked, for an on-demand read. */
  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  requestedBy?: User;
}
