import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SettlementRun, SettlementRunStatus } from '../orm/entities/index.js';
import { Dec } from '../shared/decimal.js';
import type { Events } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { computeBills, loadCustomersToBill, writeDrafts } from '../schema/settlement/index.js';
import { loadTariffDirectory } from '../schema/tariff/index.js';

/** Customers per batch: one transaction, one progress event, bounded memory. */
export const SETTLEMENT_BATCH = 2000;

export interface RunContext {
  /** The application's root EntityManager: a run outlives the request that started it. */
  em: EntityManager;
  events: Events;
  logger: Logger;
  defaultTimeZone: string;
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
