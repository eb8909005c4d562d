import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Timestamped } from './base.js';
import { OrgUnit } from './org-unit.entity.js';

@Entity({ tableName: 'meter_box' })
export class MeterBox extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 64, unique: true })
  barcode!: string;

  @Property({ type: 'string', length: 255 })
  address!: string;

  @Property({ type: 'decimal', precision: 9, scale: 6, nullable: true })
  latitude?: string;

  @Property({ type: 'decimal', precision: 9, scale: 6, nullable: true })
  longitude?: string;

  /** Normally the transformer area that feeds the box. */
  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict', index: true })
  orgUnit!: OrgUnit;
}
