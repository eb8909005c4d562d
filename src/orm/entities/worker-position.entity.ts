import { Entity, Index, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { User } from './user.entity.js';

/**
 * Where a field worker was (paper 3.4: GPS for reading rounds), as their phone reported it. The
 * phone's time and the server's are kept apart: positions are often sent in batches after a dead
 * spot. It belongs to the worker's unit (through the user), which scopes who may see it.
 */
@Entity({ tableName: 'worker_position' })
@Index({ name: 'worker_position_user_recorded_idx', properties: ['user', 'recordedAt'] })
export class WorkerPosition {
  @PrimaryKey({ type: 'bigint' })
  id!: string;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'decimal', precision: 9, scale: 6 })
  latitude!: string;

  @Property({ type: 'decimal', precision: 9, scale: 6 })
  longitude!: string;

  /** Radius of the phone's uncertainty, metres. */
  @Property({ type: 'decimal', precision: 7, scale: 1, nullable: true })
  accuracyMeters?: string;

  /** When the phone measured it. */
  @Property({ type: 'datetime' })
  recordedAt!: Date;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  receivedAt: Opt<Date> = new Date();
}
