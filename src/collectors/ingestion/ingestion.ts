import { RegisterCode, ReadingSource } from '../../orm/entities/enums.js';
import type { Logger } from '../../shared/logger.js';
import { checkReading, type MeterFacts, type PreviousValue } from './checks.js';
import { Journal } from './journal.js';
import type { DroppedReading, IncomingReading, SqlExecutor, WrittenReading } from './readings.js';
import {
  CUMULATIVE,
  SUSPECT_FLAGS,
  loadLatestValues,
  loadMeterFacts,
  registerKey,
  upsertReadings,
  type CheckedReading,
} from './store.js';

export class IngestionBusyError extends Error {}

interface Prepared {
  kept: CheckedReading[];
  dropped: DroppedReading[];
}

const REGISTERS = new Set<string>(Object.values(RegisterCode));
const SOURCES = new Set<string>(Object.values(ReadingSource));
const VALUE = /^\d{1,16}(\.\d{1,4})?$/;

/**
 * What is wrong with a reading's shape, or undefined. Written out by hand rather than with a schema
 * library: it runs for every reading on the hot path.
 */
function shapeProblem(r: IncomingReading): string | undefined {
  if (typeof r !== 'object' || r === null) return 'not an object';
  if (!Number.isInteger(r.meterId) || r.meterId < 1 || r.meterId > 2_147_483_647)
    return 'meterId: must be a positive integer';
  if (!REGISTERS.has(r.register)) return 'register: unknown register code';
  if (typeof r.value !== 'string' || !VALUE.test(r.value))
    return 'value: must be a non-negative decimal with at most 4 decimals';
  if (typeof r.measuredAt !== 'string' || Number.isNaN(Date.parse(r.measuredAt)))
    return 'measuredAt: must be an ISO-8601 instant';
  if (!SOURCES.has(r.source)) return 'source: unknown source';
  return undefined;
}

export interface IngestionOptions {
  journalDir: string;
  /** Rows per INSERT statement. */
  batchSize?: number;
  /** Readings accepted but not yet written beyond which submit() refuses (backpressure). */
  maxPending?: number;
  /** Longest wait between attempts while the database is unreachable. */
  maxRetryDelayMs?: number;
  /** INSERT statements in flight at once (each on its own pooled connection). */
  parallelWrites?: number;
  onWritten?: (rows: WrittenReading[]) => void;
  onDropped?: (rows: DroppedReading[]) => void;
  /** Late actual values that replaced estimates (also in onWritten): consumption derived from them changed. */
  onReplacedEstimates?: (changes: { meterId: number; measuredAt: Date }[]) => void;
  now?: () => Date;
}

/**
 * The way into the reading table: shape validation, a durable journal (accepted = fsynced),
 * first-line checks, batched INSERT ... ON CONFLICT (a replay adds nothing; a late actual value
 * replaces an estimate, see upsert.ts), and
 * retries with backoff while the database is away. Bounded: when too much is waiting, submit()
 * refuses with IngestionBusyError so that collectors slow down instead of memory growing.
 */
export class Ingestion {
  private readonly journal: Journal<IncomingReading>;
  private queue: { segment: number; batch: IncomingReading[] }[] = [];
  private pending = 0;
  private running?: Promise<void>;
  private stopped = false;
  private retryDelay = 0;
  private wake?: () => void;
  private meters = new Map<number, MeterFacts | null>();
  private last = new Map<string, PreviousValue>();
  private drained: (() => void)[] = [];
  private readonly opts: Required<Omit<IngestionOptions, 'onWritten' | 'onDropped' | 'onReplacedEstimates'>> &
    Pick<IngestionOptions, 'onWritten' | 'onDropped' | 'onReplacedEstimates'>;

  constructor(
    private readonly db: SqlExecutor,
    private readonly logger: Logger,
    options: IngestionOptions,
  ) {
    this.opts = {
      batchSize: 5000,
      maxPending: 500_000,
      maxRetryDelayMs: 5000,
      parallelWrites: 2,
      now: () => new Date(),
      ...options,
    };
    this.journal = new Journal<IncomingReading>(options.journalDir);
  }

  /** Replays what an earlier run accepted but did not write, then starts writing. */
  start(): void {
    const left = this.journal.replay();
    for (const entry of left) {
      this.queue.push(entry);
      this.pending += entry.batch.length;
    }
    if (left.length)
      this.logger.info({ batches: left.length, readings: this.pending }, 'replaying the ingestion journal');
    this.running = this.loop();
  }

  get backlog(): number {
    return this.pending;
  }

  /**
   * Accepts readings: returns once they are written to the journal and fsynced, so an accepted
   * reading survives a crash. Malformed ones are returned, not thrown, each with its reason.
   */
  submit(readings: IncomingReading[]): { accepted: number; rejected: DroppedReading[] } {
    const rejected: DroppedReading[] = [];
    const valid: IncomingReading[] = [];
    for (const reading of readings) {
      const problem = shapeProblem(reading);
      if (problem) rejected.push({ reading, reason: problem });
      else valid.push({ ...reading, measuredAt: new Date(reading.measuredAt).toISOString() });
    }
    if (this.stopped) throw new IngestionBusyError('ingestion is stopping');
    if (this.pending + valid.length > this.opts.maxPending) {
      throw new IngestionBusyError(`ingestion backlog full (${this.pending} readings waiting for the database)`);
    }
    if (valid.length) {
      const segment = this.journal.append(valid);
      this.queue.push({ segment, batch: valid });
      this.pending += valid.length;
      this.wake?.();
    }
    return { accepted: valid.length, rejected };
  }

  /** Resolves when everything accepted so far is in the database (or after `timeoutMs`). */
  drain(timeoutMs = 30_000): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.drained.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Stops after the statement in progress; what is left stays in the journal for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    this.journal.close();
  }

  /**
   * Takes journal entries in batches and writes them. Up to `parallelWrites` INSERTs are in flight
   * while the next batch is checked, so that the database and the checks work at the same time.
   * A failed INSERT puts its entries back at the front and pauses with backoff.
   */
  private async loop(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let failed = false;
    while (!this.stopped) {
      if (failed) {
        failed = false;
        await Promise.allSettled(inFlight);
        await this.pause();
        continue;
      }
      if (!this.queue.length || inFlight.size >= this.opts.parallelWrites) {
        if (inFlight.size) await Promise.race(inFlight);
        else await this.pause(Infinity);
        continue;
      }
      // Take whole journal entries up to the batch size (at least one).
      const entries: typeof this.queue = [];
      let rows = 0;
      while (this.queue.length && (entries.length === 0 || rows + this.queue[0]!.batch.length <= this.opts.batchSize)) {
        const entry = this.queue.shift()!;
        entries.push(entry);
        rows += entry.batch.length;
      }
      const retry = (error: unknown) => {
        this.queue.unshift(...entries);
        this.retryDelay = Math.min(this.opts.maxRetryDelayMs, Math.max(100, this.retryDelay * 2));
        this.logger.warn(
          { err: error, retryInMs: this.retryDelay, backlog: this.pending },
          'writing readings failed; will retry',
        );
        failed = true;
      };
      let prepared: Prepared;
      try {
        prepared = await this.prepare(entries.flatMap((e) => e.batch));
      } catch (error) {
        retry(error);
        continue;
      }
      const task: Promise<void> = this.insert(prepared).then(() => {
        for (const entry of entries) this.journal.written(entry.segment);
        this.pending -= rows;
        this.retryDelay = 0;
        if (this.pending === 0) this.drained.splice(0).forEach((d) => d());
      }, retry);
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    }
    await Promise.allSettled(inFlight);
  }

  /** Waits for new work (or stop) at most `ms` (default: the current retry delay). */
  private pause(ms = this.retryDelay): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      if (ms !== Infinity) timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async loadFacts(batch: IncomingReading[]): Promise<void> {
    const unknownMeters = [...new Set(batch.map((r) => r.meterId))].filter((id) => !this.meters.has(id));
    if (unknownMeters.length) {
      if (this.meters.size > 200_000) this.meters.clear();
      const facts = await loadMeterFacts(this.db, unknownMeters);
      for (const id of unknownMeters) this.meters.set(id, facts.get(id) ?? null);
    }
    const unknownLast = [
      ...new Map(batch.map((r) => [registerKey(r.meterId, r.register), r] as const)).entries(),
    ].filter(([key]) => !this.last.has(key));
    if (unknownLast.length) {
      if (this.last.size > 500_000) this.last.clear();
      const latest = await loadLatestValues(
        this.db,
        unknownLast.map(([, r]) => ({ meterId: r.meterId, register: r.register })),
      );
      for (const [key, value] of latest) this.last.set(key, value);
    }
  }

  /**
   * Runs the first-line checks of a batch. The last-value cache moves on here, before the INSERT,
   * so that the next batch can be checked while this one is written (a retried batch is then
   * compared with itself and keeps its values, at worst without a flag).
   */
  private async prepare(batch: IncomingReading[]): Promise<Prepared> {
    await this.loadFacts(batch);
    const now = this.opts.now();
    const kept: CheckedReading[] = [];
    const dropped: DroppedReading[] = [];
    // Oldest first, so each value is checked against the one before it within the batch too.
    // ISO instants in UTC compare correctly as strings.
    const ordered = [...batch].sort((a, b) => (a.measuredAt < b.measuredAt ? -1 : a.measuredAt > b.measuredAt ? 1 : 0));
    const seen = new Map<string, PreviousValue>();
    for (const reading of ordered) {
      const facts = this.meters.get(reading.meterId);
      if (!facts) {
        dropped.push({ reading, reason: 'unknown meter' });
        continue;
      }
      const key = registerKey(reading.meterId, reading.register);
      const measuredAt = new Date(reading.measuredAt);
      const verdict = checkReading(
        { value: reading.value, measuredAt, cumulative: CUMULATIVE.has(reading.register) },
        facts,
        seen.get(key) ?? this.last.get(key),
        now,
      );
      if (!verdict.keep) {
        dropped.push({ reading, reason: verdict.reason });
        continue;
      }
      kept.push({ reading, quality: verdict.quality, flags: verdict.flags });
      // Later values are compared with the last good one, not with a suspect outlier.
      if (verdict.quality === 'GOOD') seen.set(key, { value: reading.value, measuredAt });
    }
    for (const [key, value] of seen) {
      const known = this.last.get(key);
      if (!known || value.measuredAt > known.measuredAt) this.last.set(key, value);
    }
    return { kept, dropped };
  }

  private async insert({ kept, dropped }: Prepared): Promise<void> {
    const written: WrittenReading[] = [];
    const replaced: { meterId: number; measuredAt: Date }[] = [];
    // One statement per batch whatever its size; RETURNING says which rows were written (a replay
    // returns none). Quality follows from the flags.
    for (const r of await upsertReadings(this.db, kept)) {
      if (r.replacedAt) replaced.push({ meterId: r.meterId, measuredAt: r.replacedAt });
      written.push({
        id: r.id,
        meterId: r.meterId,
        quality: r.flags & SUSPECT_FLAGS ? 'SUSPECT' : 'GOOD',
        flags: r.flags,
        ...(r.register ? { register: r.register } : {}),
      });
    }
    if (dropped.length) {
      this.logger.warn({ dropped: dropped.length, first: dropped[0]!.reason }, 'readings dropped by first-line checks');
      this.opts.onDropped?.(dropped);
    }
    if (written.length) this.opts.onWritten?.(written);
    if (replaced.length) this.opts.onReplacedEstimates?.(replaced);
  }
}
