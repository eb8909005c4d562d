import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { PaymentMethod, PrepaymentAction, PrepaymentState, RelayOutcomeStatus } from '../../orm/entities/enums.js';
import { ConnectionType, DecimalScalar, NodeInterface } from '../common/index.js';

registerEnumType(PaymentMethod, { name: 'PaymentMethod' });
registerEnumType(PrepaymentState, {
  name: 'PrepaymentState',
  description:
    'NORMAL -> LOW_BALANCE (notified) -> TRIPPED (relay opened) -> PERMITTED (top-up at or above tripBelow: the customer may press the button to reconnect) -> NORMAL (balance at or above the alert).',
});
registerEnumType(PrepaymentAction, {
  name: 'PrepaymentAction',
  description: 'NOTIFY_LOW_BALANCE: a notice only; TRIP and PERMIT_CLOSE: relay commands to a meter.',
});
registerEnumType(RelayOutcomeStatus, {
  name: 'RelayOutcome',
  description:
    'What the meter answered: DONE (confirmed), REFUSED (an error reply), FAILED (no answer), UNSUPPORTED (its collector has no relay control), NOT_COLLECTED (on no channel); PENDING while asked. Anything but DONE needs a field visit.',
});

@ObjectType('Payment', {
  implements: NodeInterface,
  description: 'Money a customer paid, or (negative, naming `reverses`) the reversal of such a payment.',
})
export class PaymentType extends NodeInterface {
  @Field(() => DecimalScalar, { description: 'CNY; negative on a reversal.' })
  amount!: string;

  @Field(() => PaymentMethod)
  method!: PaymentMethod;

  @Field(() => String, { nullable: true, description: "The payment channel's reference; null on reversals." })
  reference?: string;

  @Field(() => Date)
  paidAt!: Date;

  @Field(() => String, { nullable: true, description: 'Why a reversal was made.' })
  reason?: string;

  @Field(() => Date)
  createdAt!: Date;
}

export const PaymentConnection = ConnectionType(PaymentType, 'Payment');

@InputType()
export class PaymentFilter {
  @Field(() => ID, { nullable: true })
  customerId?: string;

  @Field(() => ID, { nullable: true, description: 'Payments of customers of this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field(() => Date, { nullable: true, description: 'Paid at or after.' })
  paidFrom?: Date;

  @Field(() => Date, { nullable: true, description: 'Paid before.' })
  paidTo?: Date;
}

@InputType()
export class RecordPaymentInput {
  @Field(() => ID)
  customerId!: string;

  @Field(() => DecimalScalar, { description: 'CNY, greater than 0, at most 2 decimals.' })
  amount!: string;

  @Field(() => PaymentMethod)
  method!: PaymentMethod;

  @Field({
    description:
      "The payment channel's reference (receipt, bank or WeChat transaction number), unique in the installation. Sending the same payment again answers the payment already recorded; another payment with the same reference is a CONFLICT.",
  })
  reference!: string;

  @Field(() => Date, { nullable: true, description: 'When the customer paid (default: now); not in the future.' })
  paidAt?: Date;
}

@InputType()
export class ReversePaymentInput {
  @Field(() => ID)
  paymentId!: string;

  @Field()
  reason!: string;
}

@ObjectType()
export class PaymentPayload {
  @Field(() => PaymentType)
  payment!: PaymentType;

  @Field({ description: 'The same request was already answered: this is the payment (or reversal) it recorded.' })
  replayed!: boolean;
}

@ObjectType('Account', {
  description:
    "A customer's account in CNY: balance = paid - billed, where paid is the sum of their payments (reversals negative) and billed the sum of the totals of their ISSUED bills (a superseded version no longer counts). Exact, nothing rounded.",
})
export class AccountType {
  @Field(() => DecimalScalar, { description: 'paid - billed: positive is credit, negative is owed.' })
  balance!: string;

  @Field(() => DecimalScalar)
  billed!: string;

  @Field(() => DecimalScalar)
  paid!: string;

  @Field(() => Date, { nullable: true, description: 'When the latest payment (not reversal) was made.' })
  lastPaymentAt?: Date | null;

  @Field(() => PrepaymentState, { description: 'Always NORMAL for customers who are not prepaid.' })
  status!: PrepaymentState;

  @Field()
  prepaid!: boolean;

  @Field(() => DecimalScalar, { nullable: true, description: 'CNY; a prepaid customer is notified below it.' })
  lowBalanceAlert?: string | null;

  @Field(() => DecimalScalar, { description: "CNY; a prepaid customer's meter is tripped below it." })
  tripBelow!: string;

  @Field({ description: 'A relay command of prepayment did not reach a meter: someone must go there.' })
  fieldVisitNeeded!: boolean;
}

@InputType()
export class SetPrepaymentInput {
  @Field(() => ID)
  customerId!: string;

  @Field()
  prepaid!: boolean;

  @Field(() => DecimalScalar, { nullable: true, description: 'CNY; null: no low-balance notice.' })
  lowBalanceAlert?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'CNY (default 0); not above lowBalanceAlert.' })
  tripBelow?: string | null;
}

@ObjectType('PrepaymentEvent', {
  implements: NodeInterface,
  description:
    'What prepayment did for a customer: a low-balance notice, or a relay command to a meter with its outcome.',
})
export class PrepaymentEventType extends NodeInterface {
  @Field(() => PrepaymentAction)
  kind!: PrepaymentAction;

  @Field(() => PrepaymentState, { description: 'The state the account entered.' })
  state!: PrepaymentState;

  @Field(() => DecimalScalar, { description: 'CNY: the balance that caused it.' })
  balance!: string;

  @Field(() => RelayOutcomeStatus, { nullable: true, description: 'Commands only.' })
  outcome?: RelayOutcomeStatus;

  @Field(() => String, { nullable: true })
  detail?: string;

  @Field({ description: 'The command did not reach the meter: a field visit is needed.' })
  fieldVisitNeeded!: boolean;

  @Field(() => Date)
  at!: Date;
}

export const PrepaymentEventConnection = ConnectionType(PrepaymentEventType, 'PrepaymentEvent');

@InputType()
export class PrepaymentEventFilter {
  @Field(() => ID, { nullable: true })
  customerId?: string;

  @Field(() => ID, { nullable: true })
  orgUnitSubtree?: string;

  @Field(() => [PrepaymentAction], { nullable: true })
  kinds?: PrepaymentAction[];

  @Field(() => Boolean, { nullable: true, description: 'Only commands that still need a field visit.' })
  fieldVisitNeeded?: boolean;
}
