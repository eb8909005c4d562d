import type { DeviceEvent, PointRequest, PointValue, RelayCommand, RelayResult } from '../sdk/index.js';
import type { IncomingReading } from '../ingestion/readings.js';
import type { Logger } from '../../shared/logger.js';
import type { ChannelBackoff } from './channel-backoff.js';
import { failureOf, ParkedMeters } from './failures.js';
import type { CollectionTarget, TargetGroup } from './target.js';

export type { CollectionTarget, TargetGroup } from './target.js';

/** The join that finds the customer a meter serves now (target loaders share it). */
export const CUSTOMER_OF_METER = `left join meter_assignment a on a.meter_id = m.id and a.removed_at is null
         left join service_point sp on sp.id = a.service_point_id
         left join customer cu on cu.id = sp.customer_id`;

export function groupOf(row: {
  org_path: string;
  channel_id?: number | null;
  window_start: string | null;
  window_end: string | null;
}): TargetGroup {
  return {
    orgPath: row.org_path,
    channelId: row.channel_id == null ? undefined : Number(row.channel_id),
    window: row.window_start && row.window_end ? { start: row.window_start, end: row.window_end } : undefined,
  };
}

/**
 * A target's values sorted the one way both runtimes use: good ones become AUTOMATIC readings of
 * their point's register; bad or empty ones are returned for alarms; values for points the target
 * does not have are returned apart (the caller decides what they mean).
 */
export function readingsOf(
  target: CollectionTarget,
  values: PointValue[],
): { readings: IncomingReading[]; bad: PointValue[]; unknown: PointValue[] } {
  const byId = new Map(target.points.map((p) => [p.id, p]));
  const readings: IncomingReading[] = [];
  const bad: PointValue[] = [];
  const unknown: PointValue[] = [];
  for (const v of values) {
    const point = byId.get(v.pointId);
    if (!point) unknown.push(v);
    else if (v.quality === 'bad' || v.value === undefined) bad.push(v);
    else
      readings.push({
        meterId: target.meterId,
        register: point.register,
        value: v.value,
        measuredAt: v.measuredAt.toISOString(),
        source: 'AUTOMATIC',
      });
  }
  return { readings, bad, unknown };
}

/** A read to do: a meter for a task (first attempt or re-collection), optionally of a frozen value. */
export interface Job {
  target: CollectionTarget;
  taskId?: string;
  /** Set on re-collection attempts. */
  retryId?: string;
  /** Read the values the meter froze at this time (daily frozen), not the current ones. */
  at?: Date;
  /** Also read the meter's event records (when its plugin can). */
  events?: boolean;
}

export interface JobResult {
  job: Job;
  /** The meter answered with at least one usable value. */
  ok: boolean;
  error?: string;
  /** The failure was permanent (the plugin said `misconfigured` or `unsupported`): no re-collection. */
  permanent?: boolean;
}

/** Decides what is due and keeps the books (tasks, re-collection); the runtime only reads. */
export interface Planner {
  due(now: Date): Promise<Job[]>;
  record(results: JobResult[], now: Date): Promise<void>;
}

/** What the runtime needs from the plugin host (a port: the host satisfies it). */
export interface SessionOpener {
  openSession(
    pluginId: string,
    device: { id: string; settings: unknown },
    options?: { urgent?: boolean },
  ): Promise<{
    connect(): Promise<void>;
    read(points: PointRequest[]): Promise<PointValue[]>;
    readEvents?(since: Date | undefined): Promise<DeviceEvent[]>;
    controlRelay?(command: RelayCommand): Promise<RelayResult>;
    close(): Promise<void>;
  }>;
}

/** Where meter event records go (a port: collection's event store satisfies it). */
export interface EventStore {
  since(meterId: number): Promise<Date | undefined>;
  record(meterId: number, events: DeviceEvent[]): Promise<unknown>;
}

/** What the runtime needs from ingestion. */
export interface ReadingSink {
  submit(readings: IncomingReading[]): { accepted: number };
}

export interface CycleReport {
  meters: number;
  succeeded: number;
  failed: number;
  values: number;
  badValues: number;
}

export interface RuntimeOptions {
  intervalMs: number;
  /** Meters read at the same time (each still waits for its line). */
  concurrency?: number;
  /** Window over which a cycle's reads are spread (random pauses between them), so that meters are not all read at once. */
  jitterMs?: number;
  onCycle?: (report: CycleReport) => void;
  onBadValue?: (meterId: number, value: PointValue) => void;
  /** The device could not be reached at all (connect or read failed, or timed out). */
  onFailure?: (meterId: number, reason: string) => void;
  /** The device answered; `values` says with what quality. */
  onSuccess?: (meterId: number, values: PointValue[]) => void;
  /** Where event records go, for jobs that ask for them. */
  events?: EventStore;
  /** Leaves channels whose gateway or line is down alone for a while (scheduled reads only). */
  backoff?: ChannelBackoff;
  /**
   * How long a meter whose read failed permanently (`misconfigured`, `unsupported`) is left alone
   * unless its settings change; its scheduled reads fail at once with the same reason meanwhile.
   * Default one hour.
   */
  permanentPauseMs?: number;
  /** The clock of that pause (tests pin it). */
  now?: () => number;
}

/**
 * The collection loop: every interval it asks the planner what is due (schedule slots, meters
 * whose reading window opened, re-collection attempts), reads those meters through the plugin host
 * (which adds timeouts and one frame at a time per line), hands good values to ingestion and tells
 * the planner how each read went. A cycle never overlaps the next one.
 */
export class CollectionRuntime {
  private timer?: NodeJS.Timeout;
  private cycle?: Promise<CycleReport>;
  private stopped = false;
  private readonly parked: ParkedMeters;

  constructor(
    private readonly host: SessionOpener,
    private readonly sink: ReadingSink,
    private readonly planner: Planner,
    private readonly logger: Logger,
    private readonly options: RuntimeOptions,
  ) {
    this.parked = new ParkedMeters(options.permanentPauseMs ?? 3_600_000);
  }

  start(): void {
    const tick = () => {
      if (this.stopped || this.cycle) return;
      this.cycle = this.runCycle().finally(() => (this.cycle = undefined));
    };
    this.timer = setInterval(tick, this.options.intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.cycle?.catch(() => undefined);
  }

  /**
   * Reads one target now and hands its good values to ingestion; `urgent` goes ahead of scheduled
   * reads on its line; `at` asks for the values frozen at that time.
   */
  async collect(
    target: CollectionTarget,
    options: { urgent?: boolean; at?: Date; events?: boolean } = {},
  ): Promise<PointValue[]> {
    const session = await this.host.openSession(target.pluginId, target.device, options);
    try {
      await session.connect();
      const points = options.at ? target.points.map((p) => ({ ...p, at: options.at })) : target.points;
      const values = await session.read(points);
      this.options.onSuccess?.(target.meterId, values);
      // A value for a point nobody asked for is ignored.
      const { readings, bad } = readingsOf(target, values);
      for (const v of bad) this.options.onBadValue?.(target.meterId, v);
      if (readings.length) this.sink.submit(readings);
      if (options.events && session.readEvents && this.options.events) await this.readEvents(target, session);
      return values;
    } finally {
      await session.close();
    }
  }

  /**
   * Sends a relay command to a target's device ahead of scheduled reads on its line (the same
   * per-line turn as reads, taken urgently). Rejects when the device cannot be reached; undefined
   * when its plugin has no relay control.
   */
  async controlRelay(target: CollectionTarget, command: RelayCommand): Promise<RelayResult | undefined> {
    const session = await this.host.openSession(target.pluginId, target.device, { urgent: true });
    try {
      if (!session.controlRelay) return undefined;
      await session.connect();
      return await session.controlRelay(command);
    } finally {
      await session.close();
    }
  }

  /** Event records after the newest one stored; a failure here costs the events, not the values read. */
  private async readEvents(
    target: CollectionTarget,
    session: { readEvents?(since: Date | undefined): Promise<DeviceEvent[]> },
  ): Promise<void> {
    try {
      const store = this.options.events!;
      const events = await session.readEvents!(await store.since(target.meterId));
      if (events.length) await store.record(target.meterId, events);
    } catch (error) {
      this.logger.warn({ err: error, meterId: target.meterId }, 'reading meter events failed');
    }
  }

  async runCycle(): Promise<CycleReport> {
    const report: CycleReport = { meters: 0, succeeded: 0, failed: 0, values: 0, badValues: 0 };
    let jobs: Job[];
    try {
      jobs = await this.planner.due(new Date());
    } catch (error) {
      this.logger.warn({ err: error }, 'could not plan collection');
      return report;
    }
    report.meters = jobs.length;
    const queue = [...jobs];
    const results: JobResult[] = [];
    const concurrency = Math.max(1, this.options.concurrency ?? 8);
    // Pauses average out to the jitter window over one worker's share of the jobs.
    const pause = ((this.options.jitterMs ?? 0) * concurrency * 2) / Math.max(1, jobs.length);
    let firstError: { meterId: number; error: string } | undefined;
    const worker = async () => {
      for (let job = queue.shift(); job && !this.stopped; job = queue.shift()) {
        if (pause) await new Promise((r) => setTimeout(r, Math.random() * pause));
        const channel = job.target.group.channelId === undefined ? undefined : `channel:${job.target.group.channelId}`;
        const blocked = channel && this.options.backoff?.blocked(channel);
        if (blocked) {
          report.failed++;
          results.push({ job, ok: false, error: blocked });
          continue;
        }
        const now = this.options.now ?? Date.now;
        const parked = this.parked.reason(job.target, now());
        if (parked) {
          report.failed++;
          results.push({ job, ok: false, error: parked, permanent: true });
          continue;
        }
        try {
          const values = await this.collect(job.target, { at: job.at, events: job.events });
          this.parked.release(job.target.meterId);
          if (channel) this.options.backoff?.succeeded(channel);
          const good = values.filter((v) => v.quality !== 'bad').length;
          report.succeeded++;
          report.values += good;
          report.badValues += values.length - good;
          // A frozen read counts only with values stamped at the frozen time (a plugin that
          // ignores `at` answers with current values: stored as such, but the slot is still open).
          const usable = values.some(
            (v) => v.quality !== 'bad' && (!job.at || v.measuredAt.getTime() === job.at.getTime()),
          );
          const reason = good
            ? `no value frozen at ${job.at?.toISOString()}`
            : (values.find((v) => v.reason)?.reason ?? 'no usable value');
          results.push(usable ? { job, ok: true } : { job, ok: false, error: reason });
        } catch (error) {
          report.failed++;
          const { reason, permanent } = failureOf(error);
          // A misconfigured meter says nothing about its channel: the others on it are not held back.
          if (permanent) this.parked.park(job.target, reason, now());
          else if (channel) this.options.backoff?.failed(channel);
          firstError ??= { meterId: job.target.meterId, error: reason };
          this.options.onFailure?.(job.target.meterId, reason);
          results.push({ job, ok: false, error: reason, ...(permanent ? { permanent } : {}) });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    try {
      await this.planner.record(results, new Date());
    } catch (error) {
      this.logger.warn({ err: error }, 'could not record collection results');
    }
    if (report.failed) this.logger.warn({ ...report, first: firstError }, 'collection cycle had failures');
    this.options.onCycle?.(report);
    return report;
  }
}
