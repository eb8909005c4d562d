import type { EntityManager } from '@mikro-orm/postgresql';
import { BillLine, BillStatus } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { pgArray } from '../../shared/pg-array.js';
import type { BillDraft } from './bill-computation.js';

interface Latest {
  id: number;
  customer_id: number;
  version: number;
  status: BillStatus;
  total_amount: string;
  total_kwh: string;
  /** The version before the latest one's total, for a redrafted version's difference. */
  previous_amount: string | null;
}

export interface WriteResult {
  /** Bills drafted: new, redrafted in place, or new versions. */
  billed: number;
  /** Approved or issued bills whose energy and amount did not change. */
  unchanged: number;
  billIds: number[];
}

const moneyDiff = (a: string, b: string) => new Dec(a).minus(b).toFixed(2);

/**
 * Stores computed bills for one period, in the caller's transaction (all or nothing):
 * - no bill yet: version 1, a DRAFT;
 * - the latest version is a DRAFT: recomputed in place (same id and version);
 * - the latest is APPROVED or ISSUED: left alone when its energy and amount are the same, else the
 *   next version is drafted, carrying the difference and the reason.
 * Running it twice with the same drafts changes nothing the second time.
 */
export async function writeDrafts(
  em: EntityManager,
  drafts: readonly BillDraft[],
  opts: { runId?: number; reason?: string },
): Promise<WriteResult> {
  const result: WriteResult = { billed: 0, unchanged: 0, billIds: [] };
  if (!drafts.length) return result;
  const period = drafts[0]!.period;
  const latest: Latest[] = await em.getConnection().execute(
    `select distinct on (b.customer_id) b.id, b.customer_id, b.version, b.status,
            b.total_amount::text as total_amount, b.total_kwh::text as total_kwh,
            (select p.total_amount::text from bill p
              where p.customer_id = b.customer_id and p.period = b.period and p.version = b.version - 1) as previous_amount
       from bill b where b.customer_id = any(?::int[]) and b.period = ?
      order by b.customer_id, b.version desc`,
    [pgArray(drafts.map((d) => d.customerId)), period],
    'all',
    em.getTransactionContext(),
  );
  const byCustomer = new Map(latest.map((l) => [l.customer_id, l]));

  const inserts: { draft: BillDraft; version: number; difference?: string; reason?: string }[] = [];
  const redrafts: { draft: BillDraft; id: number; difference?: string }[] = [];
  for (const draft of drafts) {
    const last = byCustomer.get(draft.customerId);
    if (!last) inserts.push({ draft, version: 1 });
    else if (last.status === BillStatus.DRAFT)
      redrafts.push({
        draft,
        id: last.id,
        difference: last.previous_amount === null ? undefined : moneyDiff(draft.totalAmount, last.previous_amount),
      });
    else if (new Dec(last.total_amount).eq(draft.totalAmount) && new Dec(last.total_kwh).eq(draft.totalKwh)) {
      result.unchanged++;
      result.billIds.push(last.id);
    } else
      inserts.push({
        draft,
        version: last.version + 1,
        difference: moneyDiff(draft.totalAmount, last.total_amount),
        reason: opts.reason ?? 'the settlement was run again and the amount changed',
      });
  }

  const run = opts.runId;
  if (inserts.length) {
    // One statement for the batch's bills, returning the ids by customer (one new version each).
    const rows = inserts.map(({ draft, version, difference, reason }) => ({
      customer_id: draft.customerId,
      period: draft.period,
      version,
      difference: difference ?? null,
      reason: reason ?? null,
      ...billRow(draft),
    }));
    const created: { id: number; customer_id: number }[] = await em.getConnection().execute(
      `insert into bill (customer_id, period, version, status, run_id, difference, reason, cycle_start, cycle_end,
                         tariff_code, total_kwh, total_amount, estimated, tier_used_before, tier_used_after, notes, determinants)
       select v.customer_id, v.period, v.version, 'DRAFT', ?::int, v.difference, v.reason, v.cycle_start, v.cycle_end,
              v.tariff_code, v.total_kwh, v.total_amount, v.estimated, v.tier_used_before, v.tier_used_after,
              v.notes, v.determinants
         from jsonb_to_recordset(?::jsonb) as v(customer_id int, period text, version int, difference numeric,
              reason text, cycle_start date, cycle_end date, tariff_code text, total_kwh numeric, total_amount numeric,
              estimated boolean, tier_used_before numeric, tier_used_after numeric, notes jsonb, determinants jsonb)
       returning id, customer_id`,
      [run ?? null, JSON.stringify(rows)],
      'all',
      em.getTransactionContext(),
    );
    const idOf = new Map(created.map((c) => [c.customer_id, c.id]));
    const ids = inserts.map((i) => idOf.get(i.draft.customerId)!);
    await insertLines(
      em,
      inserts.map((i, n) => ({ billId: ids[n]!, draft: i.draft })),
    );
    result.billIds.push(...ids);
  }
  if (redrafts.length) {
    await redraftInPlace(em, redrafts, run);
    await em.nativeDelete(BillLine, { bill: { $in: redrafts.map((r) => r.id) } });
    await insertLines(
      em,
      redrafts.map((r) => ({ billId: r.id, draft: r.draft })),
    );
    result.billIds.push(...redrafts.map((r) => r.id));
  }
  result.billed = inserts.length + redrafts.length;
  return result;
}

/** A computed bill's columns, as the JSON rows the bulk statements read. */
function billRow(draft: BillDraft) {
  return {
    cycle_start: draft.cycleStart,
    cycle_end: draft.cycleEnd,
    tariff_code: draft.tariffCode,
    total_kwh: draft.totalKwh,
    total_amount: draft.totalAmount,
    estimated: draft.estimated,
    tier_used_before: draft.tierUsedBefore,
    tier_used_after: draft.tierUsedAfter,
    notes: draft.notes,
    determinants: draft.determinants,
  };
}

/**
 * Rewrites drafts in place with one statement (one UPDATE per bill made a retry of a large run
 * several times slower than the first run). A redraft without a difference keeps the stored one.
 */
async function redraftInPlace(
  em: EntityManager,
  redrafts: { draft: BillDraft; id: number; difference?: string }[],
  run?: number,
) {
  const rows = redrafts.map(({ draft, id, difference }) => ({
    id,
    ...billRow(draft),
    difference: difference ?? null,
  }));
  await em.getConnection().execute(
    `update bill b
        set cycle_start = v.cycle_start, cycle_end = v.cycle_end, tariff_code = v.tariff_code,
            total_kwh = v.total_kwh, total_amount = v.total_amount, estimated = v.estimated,
            tier_used_before = v.tier_used_before, tier_used_after = v.tier_used_after,
            notes = v.notes, determinants = v.determinants, difference = coalesce(v.difference, b.difference),
            run_id = coalesce(?::int, b.run_id), updated_at = now()
       from jsonb_to_recordset(?::jsonb) as v(id int, cycle_start date, cycle_end date, tariff_code text,
            total_kwh numeric, total_amount numeric, estimated boolean, tier_used_before numeric,
            tier_used_after numeric, notes jsonb, determinants jsonb, difference numeric)
      where b.id = v.id`,
    [run ?? null, JSON.stringify(rows)],
    'run',
    em.getTransactionContext(),
  );
}

/**
 * Every line of the bills in one statement: the rows travel as one JSON parameter (no parameter
 * limit, and PostgreSQL parses them faster than the same rows as inlined values).
 */
async function insertLines(em: EntityManager, bills: { billId: number; draft: BillDraft }[]) {
  const rows = bills.flatMap(({ billId, draft }) =>
    draft.lines.map((line, position) => ({
      bill_id: billId,
      position,
      kind: line.kind,
      description: line.description,
      band: line.band,
      tier: line.tier,
      quantity: line.quantity,
      unit_price: line.unitPrice,
      amount: line.amount,
      period_start: line.periodStart,
      period_end: line.periodEnd,
      tariff_effective_from: line.effectiveFrom,
    })),
  );
  if (!rows.length) return;
  await em.getConnection().execute(
    `insert into bill_line (bill_id, position, kind, description, band, tier, quantity, unit_price, amount,
                            period_start, period_end, tariff_effective_from)
     select bill_id, position, kind, description, band, tier, quantity, unit_price, amount,
            period_start, period_end, tariff_effective_from
       from jsonb_to_recordset(?::jsonb) as v(bill_id int, position smallint, kind text, description text,
            band text, tier smallint, quantity numeric, unit_price numeric, amount numeric, period_start date,
            period_end date, tariff_effective_from date)`,
    [JSON.stringify(rows)],
    'run',
    em.getTransactionContext(),
  );
}
