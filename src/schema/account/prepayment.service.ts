import type { EntityManager } from '@mikro-orm/postgresql';
import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { evaluatePrepayment } from '../../billing/prepayment.js';
import {
  Customer,
  Meter,
  PrepaymentAction,
  PrepaymentEvent,
  PrepaymentState,
  RelayOutcomeStatus,
  User,
} from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { decimal } from '../../shared/formats.js';
import { pgArray } from '../../shared/pg-array.js';
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
import type { RelayOutcome } from '../../collectors/index.js';
import { loadAccounts } from './account-totals.js';
import type { PrepaymentEventFilter, SetPrepaymentInput } from './account.type.js';

/** A threshold in CNY: numeric(14,2), may be negative (credit allowed before the trip). */
const threshold = decimal(12, 2);

const settingsSchema = z
  .object({
    customerId: z.string(),
    prepaid: z.boolean(),
    lowBalanceAlert: threshold.nullable().optional(),
    tripBelow: threshold.nullable().optional(),
  })
  .superRefine((v, issue) => {
    if (v.lowBalanceAlert != null && new Dec(v.lowBalanceAlert).lt(v.tripBelow ?? 0))
      issue.addIssue({ code: 'custom', path: ['lowBalanceAlert'], message: 'must not be below tripBelow' });
  });

/**
 * Makes a customer prepaid (or not) with their thresholds, then evaluates the account at once: a
 * customer made prepaid with a balance already below `tripBelow` is tripped now, one no longer
 * prepaid whose meter was tripped is permitted to reconnect. Needs `update` on the customer.
 */
export async function setPrepayment(ctx: Context, input: SetPrepaymentInput): Promise<Customer> {
  ctx.access.assert('update', 'Customer');
  const data = validate(settingsSchema, input);
  const customer = await loadPermitted(ctx, Customer, 'Customer', 'update', data.customerId, ['input', 'customerId']);
  customer.prepaid = data.prepaid;
  customer.lowBalanceAlert = data.lowBalanceAlert ?? null;
  customer.tripBelow = data.tripBelow ?? '0';
  await ctx.em.flush();
  await balancesChanged(ctx, [customer.id]);
  await ctx.em.refresh(customer);
  return customer;
}

/** Notices and commands the caller may read, newest first. */
export async function listPrepaymentEvents(ctx: Context, filter: PrepaymentEventFilter | undefined, page: PageArgs) {
  const where = ctx.access.where<PrepaymentEvent>('read', 'PrepaymentEvent');
  const conditions: FilterQuery<PrepaymentEvent>[] = [];
  if (filter?.customerId)
    conditions.push({ customer: localId(filter.customerId, 'Customer', ['filter', 'customerId']) });
  if (filter?.kinds?.length) conditions.push({ kind: { $in: filter.kinds } });
  if (filter?.fieldVisitNeeded !== undefined && filter.fieldVisitNeeded !== null)
    conditions.push(
      filter.fieldVisitNeeded
        ? { fieldVisitNeeded: true, fieldVisitDoneAt: null }
        : { $or: [{ fieldVisitNeeded: false }, { fieldVisitDoneAt: { $ne: null } }] },
    );
  if (filter?.orgUnitSubtree)
    conditions.push(
      await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['customer', 'orgUnit']),
    );
  return paginate(
    ctx.em,
    PrepaymentEvent,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'at', direction: OrderDirection.DESC },
    ctx.config.maxPageSize,
    true,
  );
}

/** The meters installed on the customer's service points now (those a relay command goes to). */
async function installedMeters(em: EntityManager, customerId: number): Promise<number[]> {
  const rows: { meter_id: number }[] = await em.execute(
    `select distinct a.meter_id from meter_assignment a join service_point s on s.id = a.service_point_id
      where s.customer_id = ? and a.removed_at is null order by a.meter_id`,
    [customerId],
  );
  return rows.map((r) => Number(r.meter_id));
}

/** One account's step, decided and written under the customer's row lock. */
async function decide(em: EntityManager, customerId: number, requestedBy: number | undefined) {
  return em.transactional(async (tx) => {
    const [account] = await loadAccounts(tx, [customerId], true);
    if (!account) return [];
    const step = evaluatePrepayment(account.status, account.balance, {
      prepaid: account.prepaid,
      lowBalanceAlert: account.lowBalanceAlert,
      tripBelow: account.tripBelow,
    });
    if (step.state !== account.status)
      await tx.nativeUpdate(Customer, { id: customerId }, { prepaymentState: step.state });
    if (!step.action) return [];
    const base = {
      customer: tx.getReference(Customer, customerId),
      kind: step.action,
      state: step.state,
      balance: account.balance,
      requestedBy: requestedBy === undefined ? undefined : tx.getReference(User, requestedBy),
    };
    let rows: PrepaymentEvent[];
    if (step.action === PrepaymentAction.NOTIFY_LOW_BALANCE) {
      rows = [
        tx.create(PrepaymentEvent, {
          ...base,
          detail: `balance ${account.balance} CNY is below ${account.lowBalanceAlert}`,
        }),
      ];
    } else {
      const meters = await installedMeters(tx, customerId);
      rows = meters.length
        ? meters.map((meter) =>
            tx.create(PrepaymentEvent, {
              ...base,
              meter: tx.getReference(Meter, meter),
              outcome: RelayOutcomeStatus.PENDING,
            }),
          )
        : [
            tx.create(PrepaymentEvent, {
              ...base,
              fieldVisitNeeded: true,
              detail: 'field visit needed: the customer has no installed meter to command',
            }),
          ];
    }
    await tx.flush();
    return rows.map((r) => ({ id: r.id, meterId: r.meter?.id, kind: r.kind, orgPath: account.orgPath }));
  });
}

const relayDetail = (outcome: RelayOutcome) =>
  [outcome.status === 'DONE' ? null : 'field visit needed', outcome.detail ?? null]
    .filter((part) => part !== null)
    .join(': ')
    .slice(0, 500) || null;

/**
 * Prepayment after a balance changed (an issued bill, a payment, a reversal, new settings). For
 * each account that is prepaid or not NORMAL: the next step of the state machine is decided and
 * recorded under the customer's row lock (so a replay or a concurrent change never acts twice),
 * then, after that commit, relay commands are sent through the collection port and their outcomes
 * recorded; anything but DONE marks a field visit. Every notice and command is published on
 * `prepaymentNotices`. Runs after the caller's own transaction has committed: the change it reacts
 * to stands whatever happens here.
 */
export async function balancesChanged(ctx: Context, customerIds: readonly number[]): Promise<void> {
  if (!customerIds.length) return;
  const em = ctx.em.fork();
  const candidates: { id: number }[] = await em.execute(
    `select id from customer where id = any(?::int[]) and (prepaid or prepayment_state <> ?) order by id`,
    [pgArray([...new Set(customerIds)]), PrepaymentState.NORMAL],
  );
  const requestedBy = ctx.access.user?.id;
  for (const { id } of candidates) {
    let decided: Awaited<ReturnType<typeof decide>>;
    try {
      decided = await decide(em, Number(id), requestedBy);
    } catch (error) {
      ctx.logger.error({ err: error, customerId: id }, 'prepayment evaluation failed');
      continue;
    }
    for (const event of decided) {
      if (event.meterId !== undefined && event.kind !== PrepaymentAction.NOTIFY_LOW_BALANCE) {
        const outcome = await ctx.collection
          .controlRelay(event.meterId, event.kind, requestedBy)
          .catch((error: unknown): RelayOutcome => ({ status: 'FAILED', detail: String(error).slice(0, 200) }));
        await em.nativeUpdate(
          PrepaymentEvent,
          { id: event.id },
          {
            outcome: outcome.status as RelayOutcomeStatus,
            detail: relayDetail(outcome) ?? undefined,
            fieldVisitNeeded: outcome.status !== 'DONE',
          },
        );
      }
      ctx.events.publish('PREPAYMENT_NOTICE', { eventId: event.id, customerId: Number(id), orgPath: event.orgPath });
    }
  }
}
