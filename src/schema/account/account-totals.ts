import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { balanceOf } from '../../billing/balance.js';
import { Customer, PrepaymentState } from '../../orm/entities/index.js';
import { formatDecimal } from '../../shared/decimal.js';
import { pgArray } from '../../shared/pg-array.js';
import { type Context, perRequest } from '../common/index.js';

/** A customer's account as stored: the sums behind the balance, and prepayment's settings and state. */
export interface AccountRow {
  customerId: number;
  paid: string;
  billed: string;
  balance: string;
  lastPaymentAt: Date | null;
  prepaid: boolean;
  lowBalanceAlert: string | null;
  tripBelow: string;
  status: PrepaymentState;
  fieldVisitNeeded: boolean;
  orgPath: string;
}

/**
 * The one statement behind every balance (the API's `account`, prepayment's evaluation): paid is
 * the sum of the customer's payments (reversals are negative rows), billed the sum of the totals
 * of their ISSUED bills (src/billing/balance.ts). `lock` takes the customers' rows FOR UPDATE,
 * so that two evaluations of one account run one after the other (call it in a transaction).
 */
export async function loadAccounts(
  em: EntityManager,
  customerIds: readonly number[],
  lock = false,
): Promise<AccountRow[]> {
  if (!customerIds.length) return [];
  const rows: Record<string, unknown>[] = await em.execute(
    `select c.id,
            coalesce((select sum(p.amount) from payment p where p.customer_id = c.id), 0)::text as paid,
            coalesce((select sum(b.total_amount) from bill b where b.customer_id = c.id and b.status = 'ISSUED'), 0)::text as billed,
            (select max(p.paid_at) from payment p where p.customer_id = c.id and p.reverses_id is null) as last_payment_at,
            c.prepaid, c.low_balance_alert::text as low_balance_alert, c.trip_below::text as trip_below,
            c.prepayment_state,
            exists (select 1 from prepayment_event e where e.customer_id = c.id and e.field_visit_needed
                      and e.field_visit_done_at is null) as field_visit_needed,
            (select u.path from org_unit u where u.id = c.org_unit_id) as org_path
       from customer c
      where c.id = any(?::int[])
      order by c.id${lock ? ' for update of c' : ''}`,
    [pgArray([...customerIds])],
  );
  return rows.map((r) => {
    const totals = { paid: String(r.paid), billed: String(r.billed) };
    return {
      customerId: Number(r.id),
      paid: formatDecimal(totals.paid, 2),
      billed: formatDecimal(totals.billed, 2),
      balance: balanceOf(totals),
      lastPaymentAt: r.last_payment_at ? new Date(r.last_payment_at as string) : null,
      prepaid: Boolean(r.prepaid),
      lowBalanceAlert: r.low_balance_alert === null ? null : String(r.low_balance_alert),
      tripBelow: String(r.trip_below),
      status: r.prepayment_state as PrepaymentState,
      fieldVisitNeeded: Boolean(r.field_visit_needed),
      orgPath: String(r.org_path),
    };
  });
}

function accountLoader(ctx: Context) {
  const { em, access } = ctx;
  return new DataLoader<number, AccountRow | null>(async (ids) => {
    const where = access.whereOn<Customer>('read', 'Payment', 'Customer');
    if (where === null) return ids.map(() => null);
    const permitted = await em.find(Customer, { $and: [where, { id: { $in: [...ids] } }] } as FilterQuery<Customer>, {
      fields: ['id'],
    });
    const accounts = await loadAccounts(
      em,
      permitted.map((c) => c.id),
    );
    return ids.map((id) => accounts.find((a) => a.customerId === id) ?? null);
  });
}

/** The customer's account, for callers who may read the customer's payments (else null); batched per request. */
export function customerAccount(ctx: Context, customerId: number): Promise<AccountRow | null> {
  return perRequest(ctx, accountLoader).load(customerId);
}
