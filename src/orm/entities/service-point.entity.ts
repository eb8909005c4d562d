import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Timestamped } from './base.js';
import { Customer } from './customer.entity.js';
import { MeterBox } from './meter-box.entity.js';

/** Where a customer is metered; the meter on it changes over time (MeterAssignment). */
@Entity({ tableName: 'service_point' })
export class ServicePoint extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 32, unique: true })
  code!: string;

  @ManyToOne({ entity: () => Customer, deleteRule: 'restrict', index: true })
  customer!: Customer;

  @ManyToOne({ entity: () => MeterBox, nullable: true, deleteRule: 'set null' })
  meterBox?: MeterBox;
}
