import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Timestamped } from './base.js';
import { TrainingResult } from './enums.js';
import { User } from './user.entity.js';

/** One course a staff member took (paper 3.8): what, when, how it went. Training completed feeds the KPIs. */
@Entity({ tableName: 'training_record' })
@Index({ name: 'training_record_user_date_idx', properties: ['user', 'completedOn'] })
export class TrainingRecord extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'string', length: 200 })
  course!: string;

  /** The local day the course was completed. */
  @Property({ type: 'string', columnType: 'date' })
  completedOn!: string;

  @Enum({ items: () => TrainingResult })
  result!: TrainingResult;

  /** Exam score out of 100, when there was one. */
  @Property({ type: 'decimal', precision: 5, scale: 2, nullable: true })
  score?: string;

  @Property({ type: 'decimal', precision: 5, scale: 1, nullable: true })
  hours?: string;

  @ManyToOne({ entity: () => User, deleteRule: 'restrict' })
  recordedBy!: User;
}
