import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { CollectionTask } from './collection-task.entity.js';
import { RetryStatus } from './enums.js';
import { Meter } from './meter.entity.js';

/** A meter a task could not read, and its re-collection: attempts with growing pauses, then give up. */
@Entity({ tableName: 'collection_retry' })
@Unique({ name: 'collection_retry_task_meter_uq', properties: ['task', 'meter'] })
@Index({
  name: 'collection_retry_due_idx',
  expression:
    'create index "collection_retry_due_idx" on "collection_retry" ("next_attempt_at") where "status" = \'PENDING\'',
})
export class CollectionRetry {
  @PrimaryKey({ type: 'bigint' })
  id!: string;

  @ManyToOne({ entity: () => CollectionTask, deleteRule: 'cascade' })
  task!: CollectionTask;

  @ManyToOne({ entity: () => Meter, deleteRule: 'cascade', index: true })
  meter!: Meter;

  @Enum({ items: () => RetryStatus, default: RetryStatus.PENDING })
  status: Opt<RetryStatus> = RetryStatus.PENDING;

  /** Attempts so far, the task's first read included. */
  @Property({ type: 'smallint', default: 1 })
  attempts: Opt<number> = 1;

  @Property({ type: 'datetime', nullable: true })
  nextAttemptAt?: Date;

  @Property({ type: 'string', length: 255 })
  lastError!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  updatedAt: Opt<Date> = new Date();
}
