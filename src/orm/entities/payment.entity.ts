import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Customer } from './customer.entity.js';
import { PaymentMethod } from './enums.js';
import { User } from './user.entity.js';

/**
 * Money a customer paid, never changed or deleted. A reversal (a refund, a bounced transfer) is
 * another row with the negated amount that names the payment it reverses, so that a customer's
 * paid total is always the plain sum of the rows. A payment carries the reference of the channel
 * it came through (receipt, bank or WeChat transaction number), unique in the installation: a
 * replay of the same payment is recognised by it.
 */
@Entity({ tableName: 'payment' })
@Check({
  name: 'payment_amount_sign',
  expression:
    '("reverses_id" is null and "amount" > 0 and "reference" is not null) or ("reverses_id" is not null and "amount" < 0)',
})
@Index({ name: 'payment_customer_paid_at_idx', properties: ['customer', 'paidAt'] })
export class Payment {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne({ entity: () => Customer, deleteRule: 'restrict' })
  customer!: Customer;

  /** CNY; positive for a payment, negative for a reversal. */
  @Property({ type: 'decimal', precision: 14, scale: 2 })
  amount!: string;

  @Enum({ items: () => PaymentMethod })
  method!: PaymentMethod;

  /** The payment channel's own reference; null on reversals. */
  @Property({ type: 'string', length: 64, nullable: true, unique: 'payment_reference_uq' })
  reference?: string;

  @Property({ type: 'datetime', index: true })
  paidAt!: Date;

  /** The payment this row reverses (at most one reversal per payment). */
  @ManyToOne({ entity: () => Payment, nullable: true, deleteRule: 'restrict', unique: 'payment_reverses_uq' })
  reverses?: Payment;

  /** Why a reversal was made. */
  @Property({ type: 'string', length: 255, nullable: true })
  reason?: string;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  recordedBy?: User;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}
