import type { SettlementRunner } from '../schema/common/index.js';
import type { Events, ReadingsCorrectedEvent } from '../shared/events.js';
import { rebillAfterCorrections } from './rebill.js';
import { executeRun, type RunContext } from './settlement-run.js';

/**
 * The settlement work of one server, in the background: runs (a run outlives the request that
 * started it) and re-bills after corrected readings (READINGS_CORRECTED, from edits, estimates
 * and late values, wherever they happened). On stop, a run ends after its current batch
 * (INTERRUPTED; running it again finishes it).
 */
export class SettlementJobs implements SettlementRunner {
  private readonly active = new Set<Promise<void>>();
  private stopping = false;
  private corrections?: AsyncIterator<ReadingsCorrectedEvent>;

  constructor(private readonly rc: RunContext) {}

  private track(job: Promise<void>): void {
    const tracked: Promise<void> = job.finally(() => this.active.delete(tracked));
    this.active.add(tracked);
  }

  start(runId: number, customerIds: readonly number[]): void {
    this.track(executeRun(this.rc, runId, customerIds, () => this.stopping));
  }

  /** Re-bills, one correction event at a time, the bills the corrected values bound. */
  followCorrections(events: Events): void {
    const iterator = events.subscribe('READINGS_CORRECTED')[Symbol.asyncIterator]();
    this.corrections = iterator;
    const loop = async () => {
      for (;;) {
        const next = await iterator.next();
        if (next.done || this.stopping) return;
        const job = this.rebill(next.value);
        this.track(job);
        await job;
      }
    };
    void loop();
  }

  private async rebill(event: ReadingsCorrectedEvent): Promise<void> {
    const changes = event.changes.map((c) => ({ meterId: c.meterId, measuredAt: new Date(c.measuredAt) }));
    try {
      const result = await this.rc.em
        .fork()
        .transactional((em) =>
          rebillAfterCorrections(em, changes, 'a register value of the cycle was corrected', this.rc.defaultTimeZone),
        );
      if (result.billIds.length || result.failures.length)
        this.rc.logger.info({ bills: result.billIds, failures: result.failures }, 'bills recomputed after corrections');
    } catch (error) {
      // Another server of the cluster may have recomputed the same bills first (unique draft).
      this.rc.logger.warn({ err: error }, 'bills could not be recomputed after corrections');
    }
  }

  /** Resolves when no run or re-bill is in progress (tests and tools wait on it). */
  async idle(): Promise<void> {
    while (this.active.size) await Promise.all([...this.active]);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.corrections?.return?.();
    await this.idle();
  }
}
