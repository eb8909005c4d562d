import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { SettlementRunStatus } from './enums.js';
import { OrgUnit } from './org-unit.entity.js';
import { User } from './user.entity.js';

/** Why one customer could not be billed in a run. */
export interface SettlementFailure {
  customerId: number;
  accountNo: string;
  code: string;
  reason: string;
}

/**
 * One month's settlement of the customers under an org unit. A run may be repeated: drafts are
 * recomputed, approved and issued bills are left alone unless their amounts changed (then the next
 * version is drafted). At most one run of a unit and period is RUNNING (partial unique index).
 */
@Entity({ tableName: 'settlement_run' })
@Index({
  name: 'settlement_run_running_uq',
  expression:
    'create unique index "settlement_run_running_uq" on "settlement_run" ("org_unit_id", "period") where "status" = \'RUNNING\'',
})
export class SettlementRun {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict', index: true })
  orgUnit!: OrgUnit;

  /** YYYY-MM: the month in which the billing cycles close. */
  @Property({ type: 'string', length: 7, index: true })
  period!: string;

  @Enum({ items: () => SettlementRunStatus, default: SettlementRunStatus.RUNNING })
  status: Opt<SettlementRunStatus> = SettlementRunStatus.RUNNING;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  startedBy?: User;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  startedAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date;

  /** Set after every batch: a RUNNING run that has not moved for a while was left by a stopped server. */
  @Property({ type: 'datetime', defaultRaw: 'now()' })
  heartbeatAt: Opt<Date> = new Date();

  @Property({ type: 'integer', default: 0 })
  customerCount: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  processedCount: Opt<number> = 0;

  /** Bills drafted or redrafted (new drafts and new versions). */
  @Property({ type: 'integer', default: 0 })
  billedCount: Opt<number> = 0;

  /** Approved or issued bills whose amounts did not change. */
  @Property({ type: 'integer', default: 0 })
  unchangedCount: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  failedCount: Opt<number> = 0;

  @Property({ type: 'json', default: '[]' })
  failures: Opt<SettlementFailure[]> = [];

  @Property({ type: 'decimal', precision: 16, scale: 2, default: '0' })
  totalAmount: Opt<string> = '0';

  @Property({ type: 'decimal', precision: 24, scale: 8, default: '0' })
  totalKwh: Opt<string> = '0';
}
