import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Meter } from './meter.entity.js';
import { ServicePoint } from './service-point.entity.js';

/**
 * One meter on one service point for a period. The initial and final register readings are kept
 * so that consumption across a meter exchange is continuous.
 * A partial unique index allows at most one open assignment per meter and per service point.
 */
@Entity({ tableName: 'meter_assignment' })
@Index({
  name: 'meter_assignment_open_meter_uq',
  expression:
    'create unique index "meter_assignment_open_meter_uq" on "meter_assignment" ("meter_id") where "removed_at" is null',
})
@Index({
  name: 'meter_assignment_open_sp_uq',
  expression:
    'create unique index "meter_assignment_open_sp_uq" on "meter_assignment" ("service_point_id") where "removed_at" is null',
})
export class MeterAssignment {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne({ entity: () => ServicePoint, deleteRule: 'restrict', index: true })
  servicePoint!: ServicePoint;

  @ManyToOne({ entity: () => Meter, deleteRule: 'restrict', index: true })
  meter!: Meter;

  @Property({ type: 'datetime' })
  installedAt!: Date;

  @Property({ type: 'decimal', precision: 20, scale: 4 })
  initialReading!: string;

  @Property({ type: 'datetime', nullable: true })
  removedAt?: Date;

  @Property({ type: 'decimal', precision: 20, scale: 4, nullable: true })
  finalReading?: string;

  @Property({ type: 'string', length: 255, nullable: true })
  reason?: string;
}
