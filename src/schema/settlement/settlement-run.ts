import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DateTime } from 'luxon';
import { effectiveTimeZones } from '../../orm/org-time-zone.js';
import { SettlementRun, SettlementRunStatus, type SettlementFailure } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import type { Events } from '../../shared/events.js';
import type { Logger } from '../../shared/logger.js';
import { pgArray } from '../../shared/pg-array.js';
import { loadTariffDirectory, type TariffDirectory } from '../tariff/tariff-directory.js';
import { addMonths, billingCycle } from '../../billing/local-days.js';
import { computeBills, type CustomerToBill } from './bill-computation.js';
import { writeDrafts } from './bill-writer.js';

/** Customers per batch: one transaction, one progress event, bounded memory. */
export const SETTLEMENT_BATCH = 2000;

export interface RunContext {
  /** The application's root EntityManager: a run outlives the request that started it. */
  em: EntityManager;
  events: Events;
  logger: Logger;
  defaultTimeZone: string;
}

interface CustomerRow {
  id: number;
  account_no: string;
  billing_day: number;
  category: string;
  tariff_id: number | null;
  path: string;
  points: number[] | string | null;
  prev_cycle_end: string | Date | null;
  prev_tier_used_after: string | null;
}

const asDate = (d: string | Date) => (typeof d === 'string' ? d.slice(0, 10) : DateTime.fromJSDate(d).toISODate()!);
const asIds = (v: number[] | string | null): number[] =>
  v === null ? [] : Array.isArray(v) ? v.map(Number) : v.replace(/[{}]/g, '').split(',').filter(Boolean).map(Number);

/**
 * What the run needs of each customer, in one statement per batch: reading day, tariff, zone,
 * service points, and the previous period's bill (its tier count carries into this cycle).
 */
export async function loadCustomersToBill(
  em: EntityManager,
  ids: readonly number[],
  period: string,
  tariffs: TariffDirectory,
  defaultTimeZone: string,
): Promise<{ customers: CustomerToBill[]; failures: SettlementFailure[] }> {
  const rows: CustomerRow[] = await em.getConnection().execute(
    `select c.id, c.account_no, c.billing_day, c.category, c.tariff_id, o.path,
            (select array_agg(sp.id order by sp.id) from service_point sp where sp.customer_id = c.id) as points,
            prev.cycle_end as prev_cycle_end, prev.tier_used_after::text as prev_tier_used_after
       from customer c
       join org_unit o on o.id = c.org_unit_id
       left join lateral (
         select b.cycle_end, b.tier_used_after from bill b
          where b.customer_id = c.id and b.period = ? and b.status <> 'SUPERSEDED'
          order by b.version desc limit 1) prev on true
      where c.id = any(?::int[])
      order by c.id`,
    [addMonths(period, -1), pgArray([...ids])],
    'all',
    em.getTransactionContext(),
  );
  const zones = await effectiveTimeZones(
    em,
    rows.map((r) => r.path),
    defaultTimeZone,
  );
  const customers: CustomerToBill[] = [];
  const failures: SettlementFailure[] = [];
  rows.forEach((row, i) => {
    const tariff = tariffs.forCustomer({ tariffId: row.tariff_id, category: row.category });
    if (!tariff) {
      failures.push({
        customerId: row.id,
        accountNo: row.account_no,
        code: 'NO_TARIFF',
        reason: `no tariff: the customer has none and ${row.category} has no default tariff`,
      });
      return;
    }
    const { start } = billingCycle(period, row.billing_day);
    // The previous bill carries the tier count only when its cycle ends where this one starts.
    const carried =
      row.prev_cycle_end !== null && asDate(row.prev_cycle_end) === start ? row.prev_tier_used_after! : undefined;
    customers.push({
      id: row.id,
      accountNo: row.account_no,
      billingDay: row.billing_day,
      zone: zones[i]!,
      tariffCode: tariff.code,
      versions: tariff.versions,
      servicePointIds: asIds(row.points),
      tierUsedBefore: start.endsWith('-01-01') ? '0' : carried,
    });
  });
  return { customers, failures };
}

/**
 * Settles the customers of a run batch by batch. Each batch is computed, then written in one
 * transaction together with the run's counters, so a stop leaves whole batches behind and a new
 * run of the same unit and period finishes the job without duplicates (drafts are recomputed in
 * place, unchanged approved bills are left alone).
 */
export async function executeRun(
  rc: RunContext,
  runId: number,
  customerIds: readonly number[],
  stopping: () => boolean = () => false,
): Promise<void> {
  const em = rc.em.fork();
  const run = await em.findOneOrFail(SettlementRun, runId, { populate: ['orgUnit'] });
  const tariffs = await loadTariffDirectory(em);
  const publish = () =>
    rc.events.publish('SETTLEMENT_PROGRESS', {
      runId: run.id,
      orgPath: run.orgUnit.path,
      status: run.status,
      customers: run.customerCount,
      processed: run.processedCount,
      billed: run.billedCount,
      unchanged: run.unchangedCount,
      failed: run.failedCount,
    });
  try {
    for (let i = 0; i < customerIds.length; i += SETTLEMENT_BATCH) {
      if (stopping()) throw new Error('the server is stopping');
      const batch = customerIds.slice(i, i + SETTLEMENT_BATCH);
      const { customers, failures } = await loadCustomersToBill(em, batch, run.period, tariffs, rc.defaultTimeZone);
      const outcomes = await computeBills(em, customers, run.period);
      const drafts = outcomes.flatMap((o) => (o.ok ? [o.draft] : []));
      failures.push(...outcomes.flatMap((o) => (o.ok ? [] : [o.failure])));
      // Counters are set from what they were before the batch, so a second try counts once.
      const before = { ...run, failures: run.failures };
      await writeBatch(em, async (tx) => {
        const written = await writeDrafts(tx, drafts, { runId: run.id });
        run.processedCount = before.processedCount + batch.length;
        run.billedCount = before.billedCount + written.billed;
        run.unchangedCount = before.unchangedCount + written.unchanged;
        run.failedCount = before.failedCount + failures.length;
        run.failures = [...before.failures, ...failures];
        run.totalAmount = drafts.reduce((s, d) => s.plus(d.totalAmount), new Dec(before.totalAmount)).toFixed(2);
        run.totalKwh = drafts.reduce((s, d) => s.plus(d.totalKwh), new Dec(before.totalKwh)).toFixed();
        run.heartbeatAt = new Date();
        tx.persist(run);
      });
      publish();
    }
    run.status = SettlementRunStatus.COMPLETED;
  } catch (error) {
    rc.logger.error({ err: error, runId }, 'settlement run stopped');
    run.status = SettlementRunStatus.INTERRUPTED;
  }
  run.finishedAt = new Date();
  await em.flush();
  publish();
}

/**
 * One batch's transaction, tried twice: a correction re-billing the same customers at the same
 * moment may win the race for a draft (unique index); the second try sees its draft and redrafts it.
 */
async function writeBatch(em: EntityManager, work: (tx: EntityManager) => Promise<void>): Promise<void> {
  try {
    await em.transactional(work);
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    await em.transactional(work);
  }
}

/** A RUNNING run whose heartbeat is older than this was left by a stopped server. */
export const STALE_RUN_MS = 10 * 60_000;

/** Marks the unit's runs of the period that stopped moving as INTERRUPTED, so that a new one may start. */
export async function interruptStaleRuns(em: EntityManager, orgUnitId: number, period: string, now = new Date()) {
  return em.nativeUpdate(
    SettlementRun,
    {
      orgUnit: orgUnitId,
      period,
      status: SettlementRunStatus.RUNNING,
      heartbeatAt: { $lt: new Date(now.getTime() - STALE_RUN_MS) },
    },
    { status: SettlementRunStatus.INTERRUPTED, finishedAt: now },
  );
}
