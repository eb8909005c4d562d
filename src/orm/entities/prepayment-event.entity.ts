import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Customer } from './customer.entity.js';
import { Meter } from './meter.entity.js';
import { PrepaymentAction, PrepaymentState, RelayOutcomeStatus } from './enums.js';
import { User } from './user.entity.js';

/**
 * One thing prepayment did for a customer: a low-balance notice, or a relay command to one of their
 * meters with what the relay port answered. A command that did not reach the meter (UNSUPPORTED,
 * NOT_COLLECTED, FAILED, REFUSED) is a field visit to make: `fieldVisitNeeded`, until someone
 * records it done (`fieldVisitDoneAt`; work orders will take these up).
 */
@Entity({ tableName: 'prepayment_event' })
@Index({ name: 'prepayment_event_customer_idx', properties: ['customer', 'at'] })
@Index({
  name: 'prepayment_event_field_visit_idx',
  expression:
    'create index "prepayment_event_field_visit_idx" on "prepayment_event" ("at") where "field_visit_needed" and "field_visit_done_at" is null',
})
export class PrepaymentEvent {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne({ entity: () => Customer, deleteRule: 'restrict' })
  customer!: Customer;

  /** The meter a command was for; null on notices (and on a command for a customer with no meter). */
  @ManyToOne({ entity: () => Meter, nullable: true, deleteRule: 'set null', index: true })
  meter?: Meter;

  @Enum({ items: () => PrepaymentAction })
  kind!: PrepaymentAction;

  /** The state the account entered. */
  @Enum({ items: () => PrepaymentState })
  state!: PrepaymentState;

  /** CNY: the balance that caused it. */
  @Property({ type: 'decimal', precision: 14, scale: 2 })
  balance!: string;

  /** Commands only: the relay port's answer (PENDING while it is asked). */
  @Enum({ items: () => RelayOutcomeStatus, nullable: true })
  outcome?: RelayOutcomeStatus;

  @Property({ type: 'string', length: 500, nullable: true })
  detail?: string;

  @Property({ type: 'boolean', default: false })
  fieldVisitNeeded: Opt<boolean> = false;

  @Property({ type: 'datetime', nullable: true })
  fieldVisitDoneAt?: Date;

  /** Whose change (a payment, an issued bill, new settings) led to it. */
  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  requestedBy?: User;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  at: Opt<Date> = new Date();
}
