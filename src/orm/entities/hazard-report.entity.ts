import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Timestamped } from './base.js';
import { Customer } from './customer.entity.js';
import { HazardCategory, HazardStatus } from './enums.js';
import { Meter } from './meter.entity.js';
import { MeterBox } from './meter-box.entity.js';
import { OrgUnit } from './org-unit.entity.js';
import { User } from './user.entity.js';
import { WorkOrder } from './work-order.entity.js';

/**
 * A hazard found in the field (a broken box, a tampered seal, dangerous wiring), with photos. A
 * manager verifies it, which earns its reporter points (paper 3.3), and may send a
 * HAZARD_RECTIFICATION work order to fix it.
 */
@Entity({ tableName: 'hazard_report' })
@Index({ name: 'hazard_report_org_reported_idx', properties: ['orgUnit', 'reportedAt'] })
export class HazardReport extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Enum({ items: () => HazardCategory })
  category!: HazardCategory;

  @Enum({ items: () => HazardStatus, default: HazardStatus.REPORTED })
  status: Opt<HazardStatus> = HazardStatus.REPORTED;

  @Property({ type: 'string', length: 1000 })
  description!: string;

  /** The unit it was found in (the box's or meter's unit when one is given). */
  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict' })
  orgUnit!: OrgUnit;

  @ManyToOne({ entity: () => MeterBox, nullable: true, deleteRule: 'set null', index: true })
  meterBox?: MeterBox;

  @ManyToOne({ entity: () => Meter, nullable: true, deleteRule: 'set null', index: true })
  meter?: Meter;

  @ManyToOne({ entity: () => Customer, nullable: true, deleteRule: 'set null' })
  customer?: Customer;

  @Property({ type: 'decimal', precision: 9, scale: 6, nullable: true })
  latitude?: string;

  @Property({ type: 'decimal', precision: 9, scale: 6, nullable: true })
  longitude?: string;

  @ManyToOne({ entity: () => User, deleteRule: 'restrict', index: true })
  reportedBy!: User;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  reportedAt: Opt<Date> = new Date();

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  verifiedBy?: User;

  /** When it was verified or dismissed. */
  @Property({ type: 'datetime', nullable: true })
  verifiedAt?: Date;

  /** Points the reporter earns; set when VERIFIED (0 otherwise). */
  @Property({ type: 'smallint', default: 0 })
  points: Opt<number> = 0;

  @Property({ type: 'string', length: 500, nullable: true })
  verificationNote?: string;

  /** The HAZARD_RECTIFICATION work order sent to fix it. */
  @ManyToOne({ entity: () => WorkOrder, nullable: true, deleteRule: 'set null' })
  rectification?: WorkOrder;
}
