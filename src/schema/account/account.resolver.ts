import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Customer, Payment, PrepaymentEvent } from '../../orm/entities/index.js';
import type { PrepaymentNoticeEvent } from '../../shared/events.js';
import { toGlobalId } from '../../shared/global-id.js';
import {
  type Context,
  loadPermitted,
  NodeResolver,
  PageArgs,
  renewRequestState,
  sharedEventRow,
  subscriberMayReceive,
} from '../common/index.js';
import { CustomerPayload, CustomerType } from '../customer/index.js';
import { MeterType } from '../meter/index.js';
import { UserType } from '../user/index.js';
import {
  AccountType,
  PaymentConnection,
  PaymentFilter,
  PaymentPayload,
  PaymentType,
  PrepaymentEventConnection,
  PrepaymentEventFilter,
  PrepaymentEventType,
  RecordPaymentInput,
  ReversePaymentInput,
  SetPrepaymentInput,
} from './account.type.js';
import { customerAccount } from './account-totals.js';
import { listPayments, recordPayment, reversePayment } from './payment.service.js';
import { listPrepaymentEvents, setPrepayment } from './prepayment.service.js';

@Resolver(() => PaymentType)
export class PaymentResolver extends NodeResolver<Payment>(PaymentType, 'Payment') {
  @Query(() => PaymentConnection, { description: 'Payments the caller may see (customers: their own), newest first.' })
  payments(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => PaymentFilter, { nullable: true }) filter?: PaymentFilter,
  ) {
    return listPayments(ctx, filter, page);
  }

  @Query(() => PaymentType)
  payment(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, Payment, 'Payment', 'read', id);
  }

  @FieldResolver(() => CustomerType, { nullable: true })
  customer(@Root() payment: Payment, @Ctx() ctx: Context) {
    return ctx.loaders.customer.load(payment.customer.id);
  }

  @FieldResolver(() => UserType, { nullable: true })
  recordedBy(@Root() payment: Payment, @Ctx() ctx: Context) {
    return payment.recordedBy ? ctx.loaders.user.load(payment.recordedBy.id) : null;
  }

  @FieldResolver(() => PaymentType, { nullable: true, description: 'On a reversal: the payment it reverses.' })
  reverses(@Root() payment: Payment, @Ctx() ctx: Context) {
    return payment.reverses
      ? loadPermitted(ctx, Payment, 'Payment', 'read', toGlobalId('Payment', payment.reverses.id)).catch(() => null)
      : null;
  }

  @Mutation(() => PaymentPayload, {
    description:
      "Records a customer's payment (staff with create on Payment in the customer's subtree). Idempotent on `reference`. Prepayment reacts to the new balance before the answer.",
  })
  recordPayment(@Ctx() ctx: Context, @Arg('input', () => RecordPaymentInput) input: RecordPaymentInput) {
    return recordPayment(ctx, input);
  }

  @Mutation(() => PaymentPayload, {
    description: 'Reverses a payment with a negative entry (nothing is deleted); at most once per payment.',
  })
  reversePayment(@Ctx() ctx: Context, @Arg('input', () => ReversePaymentInput) input: ReversePaymentInput) {
    return reversePayment(ctx, input);
  }
}

@Resolver(() => PrepaymentEventType)
export class PrepaymentEventResolver extends NodeResolver<PrepaymentEvent>(PrepaymentEventType, 'PrepaymentEvent') {
  @Query(() => PrepaymentEventConnection, {
    description: "Prepayment's notices and relay commands the caller may see (customers: their own), newest first.",
  })
  prepaymentEvents(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => PrepaymentEventFilter, { nullable: true }) filter?: PrepaymentEventFilter,
  ) {
    return listPrepaymentEvents(ctx, filter, page);
  }

  @FieldResolver(() => CustomerType, { nullable: true })
  customer(@Root() event: PrepaymentEvent, @Ctx() ctx: Context) {
    return ctx.loaders.customer.load(event.customer.id);
  }

  @FieldResolver(() => MeterType, { nullable: true })
  meter(@Root() event: PrepaymentEvent, @Ctx() ctx: Context) {
    return event.meter ? ctx.loaders.meter.load(event.meter.id) : null;
  }

  @Mutation(() => CustomerPayload, {
    description:
      'Makes a customer prepaid (or not) with their thresholds (needs update on the customer); the account is evaluated at once.',
  })
  async setPrepayment(@Ctx() ctx: Context, @Arg('input', () => SetPrepaymentInput) input: SetPrepaymentInput) {
    return { customer: await setPrepayment(ctx, input) };
  }

  @Subscription(() => PrepaymentEventType, {
    topics: 'PREPAYMENT_NOTICE',
    description:
      "Low-balance notices and trip / permit-to-reconnect commands as they happen, for staff of the customer's subtree and for the customer themself.",
    filter: async ({
      payload,
      args,
      context,
    }: {
      payload: PrepaymentNoticeEvent;
      args: { customerId?: string };
      context: Context;
    }) =>
      subscriberMayReceive(
        context,
        'PrepaymentEvent',
        { orgPath: payload.orgPath, customerId: payload.customerId },
        undefined,
        () => !args.customerId || args.customerId === toGlobalId('Customer', payload.customerId),
      ),
  })
  prepaymentNotices(
    @Root() payload: PrepaymentNoticeEvent,
    @Ctx() ctx: Context,
    @Arg('customerId', () => ID, { nullable: true }) _customerId?: string,
  ) {
    renewRequestState(ctx);
    // Read after the outcome was recorded: one load per event for all subscribers.
    return sharedEventRow(
      `PrepaymentEvent:${payload.eventId}`,
      (em) => em.findOneOrFail(PrepaymentEvent, { id: payload.eventId }),
      ctx.em,
    );
  }
}

@Resolver(() => CustomerType)
export class CustomerAccountResolver {
  @FieldResolver(() => AccountType, {
    nullable: true,
    description: "The customer's balance and prepayment state; null for callers who may not read their payments.",
  })
  account(@Root() customer: Customer, @Ctx() ctx: Context) {
    return customerAccount(ctx, customer.id);
  }
}
