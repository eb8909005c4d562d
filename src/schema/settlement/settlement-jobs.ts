import { executeRun, type RunContext } from './settlement-run.js';

/**
 * The settlement runs of one server, in the background: a run outlives the request that started
 * it. On stop, each run ends after its current batch (INTERRUPTED; running it again finishes it).
 */
export class SettlementJobs {
  private readonly active = new Set<Promise<void>>();
  private stopping = false;

  constructor(private readonly rc: RunContext) {}

  start(runId: number, customerIds: readonly number[]): void {
    const job: Promise<void> = executeRun(this.rc, runId, customerIds, () => this.stopping).finally(() =>
      this.active.delete(job),
    );
    this.active.add(job);
  }

  /** Resolves when no run is in progress (tests and tools wait on it). */
  async idle(): Promise<void> {
    await Promise.all([...this.active]);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }
}
