import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { Timestamped } from './base.js';
import { Alarm } from './alarm.entity.js';
import { Customer } from './customer.entity.js';
import { WorkOrderKind, WorkOrderStatus, WorkOrderStopStatus } from './enums.js';
import { Meter } from './meter.entity.js';
import { MeterBox } from './meter-box.entity.js';
import { OrgUnit } from './org-unit.entity.js';
import { User } from './user.entity.js';

/**
 * A piece of field work given to named staff (paper 3.3): a periodic check reading round, an
 * inspection, a meter installation... It belongs to the unit responsible for it (`orgUnit`, which
 * scopes it) and may point at what it is about. Its places to visit are its stops.
 */
@Entity({ tableName: 'work_order' })
@Index({ name: 'work_order_org_due_idx', properties: ['orgUnit', 'dueAt'] })
@Index({ name: 'work_order_status_due_idx', properties: ['status', 'dueAt'] })
export class WorkOrder extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Enum({ items: () => WorkOrderKind })
  kind!: WorkOrderKind;

  @Enum({ items: () => WorkOrderStatus, default: WorkOrderStatus.CREATED })
  status: Opt<WorkOrderStatus> = WorkOrderStatus.CREATED;

  @Property({ type: 'string', length: 200 })
  title!: string;

  @Property({ type: 'text', nullable: true })
  description?: string;

  /** The unit responsible: a supply station or one of its transformer areas. */
  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict' })
  orgUnit!: OrgUnit;

  @Property({ type: 'datetime' })
  dueAt!: Date;

  @ManyToOne({ entity: () => Customer, nullable: true, deleteRule: 'set null', index: true })
  customer?: Customer;

  @ManyToOne({ entity: () => MeterBox, nullable: true, deleteRule: 'set null', index: true })
  meterBox?: MeterBox;

  @ManyToOne({ entity: () => Meter, nullable: true, deleteRule: 'set null', index: true })
  meter?: Meter;

  @ManyToOne({ entity: () => OrgUnit, nullable: true, deleteRule: 'set null', index: true })
  transformerArea?: OrgUnit;

  @ManyToOne({ entity: () => Alarm, nullable: true, deleteRule: 'set null', index: true })
  alarm?: Alarm;

  @ManyToOne({ entity: () => User, deleteRule: 'restrict' })
  createdBy!: User;

  @Property({ type: 'datetime', nullable: true })
  assignedAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  startedAt?: Date;

  /** When the last assignee confirmed (status SUBMITTED). */
  @Property({ type: 'datetime', nullable: true })
  submittedAt?: Date;

  /** What the staff found and did, as submitted. */
  @Property({ type: 'text', nullable: true })
  result?: string;

  /** Approval or rejection. */
  @Property({ type: 'datetime', nullable: true })
  reviewedAt?: Date;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  reviewedBy?: User;

  @Property({ type: 'string', length: 500, nullable: true })
  reviewNote?: string;

  /** How many times it was sent back (REJECTED). */
  @Property({ type: 'smallint', default: 0 })
  rejections: Opt<number> = 0;

  @Property({ type: 'datetime', nullable: true })
  closedAt?: Date;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  closedBy?: User;

  /** Closed before approval: the reason it was cancelled. */
  @Property({ type: 'string', length: 500, nullable: true })
  cancelReason?: string;
}

/** A person a work order is assigned to, and when they confirmed the submission. */
@Entity({ tableName: 'work_order_assignee' })
@Unique({ name: 'work_order_assignee_uq', properties: ['workOrder', 'user'] })
export class WorkOrderAssignee {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne({ entity: () => WorkOrder, deleteRule: 'cascade' })
  workOrder!: WorkOrder;

  @ManyToOne({ entity: () => User, deleteRule: 'restrict', index: true })
  user!: User;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  assignedAt: Opt<Date> = new Date();

  /** This person confirmed what the order submits; cleared when it is sent back. */
  @Property({ type: 'datetime', nullable: true })
  confirmedAt?: Date;
}

/**
 * A place the work order visits, in the order it was planned: a meter (with its box and customer)
 * or a meter box. A check reading records the value read, the automatic value at that moment and
 * their difference.
 */
@Entity({ tableName: 'work_order_stop' })
@Unique({ name: 'work_order_stop_seq_uq', properties: ['workOrder', 'seq'] })
export class WorkOrderStop {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne({ entity: () => WorkOrder, deleteRule: 'cascade' })
  workOrder!: WorkOrder;

  @Property({ type: 'smallint' })
  seq!: number;

  @ManyToOne({ entity: () => Meter, nullable: true, deleteRule: 'set null', index: true })
  meter?: Meter;

  @ManyToOne({ entity: () => MeterBox, nullable: true, deleteRule: 'set null', index: true })
  meterBox?: MeterBox;

  @ManyToOne({ entity: () => Customer, nullable: true, deleteRule: 'set null' })
  customer?: Customer;

  @Enum({ items: () => WorkOrderStopStatus, default: WorkOrderStopStatus.PENDING })
  status: Opt<WorkOrderStopStatus> = WorkOrderStopStatus.PENDING;

  @Property({ type: 'datetime', nullable: true })
  visitedAt?: Date;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  visitedBy?: User;

  /** Where the visit was recorded (WGS-84). */
  @Property({ type: 'decimal', precision: 9, scale: 6, nullable: true })
  latitude?: string;

  @Property({ type: 'decimal', precision: 9, scale: 6, nullable: true })
  longitude?: string;

  /** The register value read in the field (total forward active, kWh); stored as a MANUAL reading. */
  @Property({ type: 'decimal', precision: 14, scale: 4, nullable: true })
  fieldValue?: string;

  @Property({ type: 'bigint', nullable: true })
  readingId?: string;

  /** The automatic value at the same moment (interpolated between the collected values around it). */
  @Property({ type: 'decimal', precision: 14, scale: 4, nullable: true })
  automaticValue?: string;

  /** fieldValue - automaticValue, kWh. */
  @Property({ type: 'decimal', precision: 14, scale: 4, nullable: true })
  difference?: string;

  @Property({ type: 'string', length: 500, nullable: true })
  note?: string;
}

/** Per kind of work order: whether the two-person rule applies (on unless an admin turns it off). */
@Entity({ tableName: 'work_order_kind_setting' })
export class WorkOrderKindSetting {
  @PrimaryKey({ type: 'string', length: 32 })
  kind!: WorkOrderKind;

  @Property({ type: 'boolean', default: true })
  twoPersonRule: Opt<boolean> = true;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  updatedBy?: User;

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
