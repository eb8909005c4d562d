import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { Customer, Payment, PaymentMethod } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { badField, conflict } from '../../shared/errors.js';
import { decimal } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  loadPermitted,
  localId,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import type { PaymentFilter, RecordPaymentInput, ReversePaymentInput } from './account.type.js';
import { balancesChanged } from './prepayment.service.js';

/** Payments the caller may read (customers: their own), newest first. */
export async function listPayments(ctx: Context, filter: PaymentFilter | undefined, page: PageArgs) {
  const where = ctx.access.where<Payment>('read', 'Payment');
  const conditions: FilterQuery<Payment>[] = [];
  if (filter?.customerId)
    conditions.push({ customer: localId(filter.customerId, 'Customer', ['filter', 'customerId']) });
  if (filter?.paidFrom) conditions.push({ paidAt: { $gte: filter.paidFrom } });
  if (filter?.paidTo) conditions.push({ paidAt: { $lt: filter.paidTo } });
  if (filter?.orgUnitSubtree)
    conditions.push(
      await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['customer', 'orgUnit']),
    );
  return paginate(
    ctx.em,
    Payment,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'paidAt', direction: OrderDirection.DESC },
    ctx.config.maxPageSize,
    true,
  );
}

const paymentSchema = z.object({
  customerId: z.string(),
  /** numeric(14,2), greater than 0; a third decimal is refused, never rounded. */
  amount: decimal(12, 2, { min: 'positive' }),
  method: z.enum(PaymentMethod),
  reference: z
    .string()
    .regex(/^[A-Za-z0-9_.:/-]{1,64}$/, 'must be 1-64 letters, digits, dot, colon, slash, dash or underscore'),
  paidAt: z
    .date()
    .refine((d) => d <= new Date(Date.now() + 5 * 60_000), 'must not be in the future')
    .nullable()
    .optional(),
});

/** The same payment sent again: same reference, customer, amount and method. */
const samePayment = (p: Payment, customerId: number, amount: string, method: PaymentMethod) =>
  p.customer.id === customerId && new Dec(p.amount).eq(amount) && p.method === method;

/**
 * Records a payment of a customer in the caller's subtree, then lets prepayment react to the new
 * balance. Idempotent on the reference, like readings on (meter, register, time): the same payment
 * sent again answers the payment already recorded (`replayed`) and changes nothing; another
 * payment with a reference already used is a CONFLICT.
 */
export async function recordPayment(
  ctx: Context,
  input: RecordPaymentInput,
): Promise<{ payment: Payment; replayed: boolean }> {
  ctx.access.assert('create', 'Payment');
  const data = validate(paymentSchema, input);
  const customerWhere = ctx.access.whereOn<Customer>('create', 'Payment', 'Customer');
  const customerId = localId(data.customerId, 'Customer', ['input', 'customerId']);
  const customer =
    customerWhere === null ? null : await ctx.em.findOne(Customer, { $and: [customerWhere, { id: customerId }] });
  if (!customer) throw badField(['input', 'customerId'], 'Customer not found or not accessible');
  const replay = async () => {
    const existing = await ctx.em.fork().findOne(Payment, { reference: data.reference });
    if (!existing) return null;
    if (!samePayment(existing, customer.id, data.amount, data.method))
      throw conflict('another payment was already recorded with this reference', [
        { path: ['input', 'reference'], message: 'is the reference of another payment' },
      ]);
    return { payment: existing, replayed: true };
  };
  const earlier = await replay();
  if (earlier) return earlier;
  const payment = ctx.em.create(Payment, {
    customer,
    amount: new Dec(data.amount).toFixed(2),
    method: data.method,
    reference: data.reference,
    paidAt: data.paidAt ?? new Date(),
    recordedBy: ctx.access.user,
  });
  try {
    await ctx.em.flush();
  } catch (error) {
    // The same payment sent twice at once: the other request recorded it.
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    ctx.em.clear();
    const raced = await replay();
    if (raced) return raced;
    throw error;
  }
  await balancesChanged(ctx, [customer.id]);
  return { payment, replayed: false };
}

const reversalSchema = z.object({
  paymentId: z.string(),
  reason: z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
});

/**
 * Reverses a payment (a refund, a bounced transfer) with a negative entry that names it: nothing
 * is deleted, and the paid total is still the plain sum. A payment is reversed at most once;
 * reversing it again answers the reversal already recorded. Needs `update` on the payment.
 */
export async function reversePayment(
  ctx: Context,
  input: ReversePaymentInput,
): Promise<{ payment: Payment; replayed: boolean }> {
  ctx.access.assert('update', 'Payment');
  const data = validate(reversalSchema, input);
  const original = await loadPermitted(ctx, Payment, 'Payment', 'update', data.paymentId, ['input', 'paymentId']);
  if (original.reverses) throw badField(['input', 'paymentId'], 'is a reversal; only a payment can be reversed');
  const existing = await ctx.em.findOne(Payment, { reverses: original.id });
  if (existing) return { payment: existing, replayed: true };
  const reversal = ctx.em.create(Payment, {
    customer: original.customer,
    amount: new Dec(original.amount).negated().toFixed(2),
    method: original.method,
    paidAt: new Date(),
    reverses: original,
    reason: data.reason,
    recordedBy: ctx.access.user,
  });
  try {
    await ctx.em.flush();
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    ctx.em.clear();
    const raced = await ctx.em.findOne(Payment, { reverses: original.id });
    if (raced) return { payment: raced, replayed: true };
    throw error;
  }
  await balancesChanged(ctx, [original.customer.id]);
  return { payment: reversal, replayed: false };
}
