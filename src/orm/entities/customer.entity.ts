import { Check, Entity, Enum, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import type { Sealed } from '../../shared/personal-data.js';
import { Timestamped } from './base.js';
import { CustomerCategory, CustomerStatus, PrepaymentState } from './enums.js';
import { OrgUnit } from './org-unit.entity.js';
import { Tariff } from './tariff.entity.js';

@Entity({ tableName: 'customer' })
@Check({
  name: 'customer_prepayment_thresholds',
  expression: '"low_balance_alert" is null or "low_balance_alert" >= "trip_below"',
})
export class Customer extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 20, unique: true })
  accountNo!: string;

  @Property({ type: 'string', length: 128 })
  name!: string;

  @Enum({ items: () => CustomerCategory })
  category!: CustomerCategory;

  @Enum({ items: () => CustomerStatus, default: CustomerStatus.ACTIVE })
  status: Opt<CustomerStatus> = CustomerStatus.ACTIVE;

  /**
   * Personal data, sealed (src/shared/personal-data.ts; written through sealCustomerPersonalData).
   * The clear value is shown only to roles with the field permission, masked to the others.
   */
  @Property({ type: 'text', fieldName: 'phone', nullable: true })
  phoneSealed?: Sealed;

  /** Keyed hash of the phone's digits, for exact search. */
  @Property({ type: 'string', length: 64, nullable: true, index: true })
  phoneHash?: string;

  /** Personal data, sealed like the phone. */
  @Property({ type: 'text', fieldName: 'id_number', nullable: true })
  idNumberSealed?: Sealed;

  /** Keyed hash of the upper-cased ID number, for exact search. */
  @Property({ type: 'string', length: 64, nullable: true, index: true })
  idNumberHash?: string;

  @Property({ type: 'string', length: 255 })
  address!: string;

  /** kVA */
  @Property({ type: 'decimal', precision: 12, scale: 2 })
  contractedCapacity!: string;

  /** The supply station (or a unit below it) that serves the customer. */
  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict', index: true })
  orgUnit!: OrgUnit;

  /** Local time "HH:MM" the meter reading window opens and closes. */
  @Property({ type: 'string', length: 5, default: '00:00' })
  readingWindowStart: Opt<string> = '00:00';

  @Property({ type: 'string', length: 5, default: '06:00' })
  readingWindowEnd: Opt<string> = '06:00';

  /** Day of month (1-28) the billing cycle closes. */
  @Property({ type: 'smallint', default: 1 })
  billingDay: Opt<number> = 1;

  /** The customer's own tariff; when absent, the default tariff of the customer's category applies. */
  @ManyToOne({ entity: () => Tariff, nullable: true, deleteRule: 'restrict', index: true })
  tariff?: Tariff;

  /** Prepayment (预付费): the relay trips when the balance falls below `tripBelow` (ADR 0016). */
  @Property({ type: 'boolean', default: false })
  prepaid: Opt<boolean> = false;

  /** CNY; below it a prepaid customer is notified once. Null: no notice. */
  @Property({ type: 'decimal', precision: 14, scale: 2, nullable: true })
  lowBalanceAlert?: string | null;

  /** CNY; below it a prepaid customer's meter is tripped. */
  @Property({ type: 'decimal', precision: 14, scale: 2, default: '0' })
  tripBelow: Opt<string> = '0';

  /** Where the prepayment state machine (src/billing/prepayment.ts) last left the account. */
  @Enum({ items: () => PrepaymentState, default: PrepaymentState.NORMAL })
  prepaymentState: Opt<PrepaymentState> = PrepaymentState.NORMAL;
}
