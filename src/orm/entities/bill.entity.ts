import {
  Collection,
  Entity,
  Enum,
  Index,
  ManyToOne,
  OneToMany,
  PrimaryKey,
  Property,
  Unique,
  type Opt,
} from '@mikro-orm/core';
import { BillLineKind, BillStatus } from './enums.js';
import { Customer } from './customer.entity.js';
import { SettlementRun } from './settlement-run.entity.js';
import { User } from './user.entity.js';

/**
 * A customer's bill for one billing cycle, as a snapshot: lines with their determinants, so that
 * it reads the same after tariffs or readings change. Versions of the same (customer, period)
 * count up from 1; at most one DRAFT exists at a time (partial unique index).
 */
@Entity({ tableName: 'bill' })
@Unique({ name: 'bill_customer_period_version_uq', properties: ['customer', 'period', 'version'] })
@Index({
  name: 'bill_one_draft_uq',
  expression: 'create unique index "bill_one_draft_uq" on "bill" ("customer_id", "period") where "status" = \'DRAFT\'',
})
export class Bill {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne({ entity: () => Customer, deleteRule: 'restrict', index: true })
  customer!: Customer;

  @Property({ type: 'string', length: 7, index: true })
  period!: string;

  @Property({ type: 'integer', default: 1 })
  version: Opt<number> = 1;

  @Enum({ items: () => BillStatus, default: BillStatus.DRAFT })
  status: Opt<BillStatus> = BillStatus.DRAFT;

  @ManyToOne({ entity: () => SettlementRun, nullable: true, deleteRule: 'set null', index: true })
  run?: SettlementRun;

  @Property({ type: 'string', columnType: 'date' })
  cycleStart!: string;

  /** Exclusive: the next cycle's first day. */
  @Property({ type: 'string', columnType: 'date' })
  cycleEnd!: string;

  @Property({ type: 'string', length: 32 })
  tariffCode!: string;

  @Property({ type: 'decimal', precision: 24, scale: 8 })
  totalKwh!: string;

  @Property({ type: 'decimal', precision: 14, scale: 2 })
  totalAmount!: string;

  /** This version's total less the previous version's; null on version 1. */
  @Property({ type: 'decimal', precision: 14, scale: 2, nullable: true })
  difference?: string;

  /** Why this version exists (a corrected reading, a re-run). */
  @Property({ type: 'string', length: 255, nullable: true })
  reason?: string;

  /** Some register value behind the bill was estimated. */
  @Property({ type: 'boolean', default: false })
  estimated: Opt<boolean> = false;

  /**
   * ANNUAL tiers: kWh counted in the tier year before this cycle, and after it (in the tier year
   * of the cycle's last day). The next cycle starts counting from `tierUsedAfter`.
   */
  @Property({ type: 'decimal', precision: 24, scale: 8, default: '0' })
  tierUsedBefore: Opt<string> = '0';

  @Property({ type: 'decimal', precision: 24, scale: 8, default: '0' })
  tierUsedAfter: Opt<string> = '0';

  @Property({ type: 'jsonb', default: '[]' })
  notes: Opt<string[]> = [];

  @Property({ type: 'jsonb', default: '[]' })
  determinants: Opt<BillDeterminant[]> = [];

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  approvedAt?: Date;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  approvedBy?: User;

  @Property({ type: 'datetime', nullable: true })
  issuedAt?: Date;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  issuedBy?: User;

  @OneToMany(() => BillLine, (line) => line.bill, { orderBy: { position: 'asc' } })
  lines = new Collection<BillLine>(this);
}

/** What a bill's energy was measured from: per service point and segment, each meter's start and end values. */
export interface BillDeterminant {
  servicePointId: number;
  segmentStart: string;
  segmentEnd: string;
  meterId: number;
  multiplier: string;
  start: { at: string; value: string; from: string; estimated: boolean };
  end: { at: string; value: string; from: string; estimated: boolean };
  rolledOver: boolean;
  kwh: string;
}

@Entity({ tableName: 'bill_line' })
export class BillLine {
  @PrimaryKey({ type: 'bigint' })
  id!: string;

  @ManyToOne({ entity: () => Bill, deleteRule: 'cascade', index: true })
  bill!: Bill;

  @Property({ type: 'smallint' })
  position!: number;

  @Enum({ items: () => BillLineKind })
  kind!: BillLineKind;

  @Property({ type: 'string', length: 255 })
  description!: string;

  @Property({ type: 'string', length: 2, nullable: true })
  band?: string;

  @Property({ type: 'smallint', nullable: true })
  tier?: number;

  @Property({ type: 'decimal', precision: 24, scale: 8 })
  quantity!: string;

  @Property({ type: 'decimal', precision: 16, scale: 8 })
  unitPrice!: string;

  @Property({ type: 'decimal', precision: 14, scale: 2 })
  amount!: string;

  @Property({ type: 'string', columnType: 'date' })
  periodStart!: string;

  @Property({ type: 'string', columnType: 'date' })
  periodEnd!: string;

  @Property({ type: 'string', columnType: 'date' })
  tariffEffectiveFrom!: string;
}
