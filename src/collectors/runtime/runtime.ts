import type { PointRequest, PointValue } from '../sdk/index.js';
import type { IncomingReading } from '../ingestion/ingestion.js';
import type { Logger } from '../../shared/logger.js';

/** One meter to collect: which plugin, the device settings and the registers to read. */
export interface CollectionTarget {
  meterId: number;
  pluginId: string;
  device: { id: string; settings: unknown };
  points: (PointRequest & { register: NonNullable<PointRequest['register']> })[];
  /** Read at most this often (default: every cycle). */
  everyMs?: number;
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
    close(): Promise<void>;
  }>;
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
}

/**
 * Periodic collection: every interval, each target's session is opened, connected, read and closed
 * through the plugin host (which adds timeouts and one-at-a-time per line); good values go to
 * ingestion, bad ones are reported. A cycle never overlaps the next one.
 */
export class CollectionRuntime {
  private timer?: NodeJS.Timeout;
  private cycle?: Promise<CycleReport>;
  private stopped = false;
  /** When each meter was last read, for targets that are not due every cycle. */
  private lastRead = new Map<number, number>();

  constructor(
    private readonly host: SessionOpener,
    private readonly sink: ReadingSink,
    private readonly targets: () => Promise<CollectionTarget[]>,
    private readonly logger: Logger,
    private readonly options: RuntimeOptions,
  ) {}

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

  /** Reads one target now and hands its values to ingestion; `urgent` goes ahead of scheduled reads on its line. */
  async collect(target: CollectionTarget, options: { urgent?: boolean } = {}): Promise<PointValue[]> {
    const session = await this.host.openSession(target.pluginId, target.device, options);
    try {
      await session.connect();
      const values = await session.read(target.points);
      this.options.onSuccess?.(target.meterId, values);
      const byId = new Map(target.points.map((p) => [p.id, p]));
      const readings: IncomingReading[] = [];
      for (const v of values) {
        const point = byId.get(v.pointId);
        if (!point) continue;
        if (v.quality === 'bad' || v.value === undefined) {
          this.options.onBadValue?.(target.meterId, v);
          continue;
        }
        readings.push({
          meterId: target.meterId,
          register: point.register,
          value: v.value,
          measuredAt: v.measuredAt.toISOString(),
          source: 'AUTOMATIC',
        });
      }
      if (readings.length) this.sink.submit(readings);
      return values;
    } finally {
      await session.close();
    }
  }

  async runCycle(): Promise<CycleReport> {
    const report: CycleReport = { meters: 0, succeeded: 0, failed: 0, values: 0, badValues: 0 };
    let targets: CollectionTarget[];
    try {
      targets = await this.targets();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not load collection targets');
      return report;
    }
    const now = Date.now();
    targets = targets.filter(
      (t) => !t.everyMs || now - (this.lastRead.get(t.meterId) ?? 0) >= t.everyMs - this.options.intervalMs / 2,
    );
    report.meters = targets.length;
    const queue = [...targets];
    const concurrency = Math.max(1, this.options.concurrency ?? 8);
    // Pauses average out to the jitter window over one worker's share of the targets.
    const pause = ((this.options.jitterMs ?? 0) * concurrency * 2) / Math.max(1, targets.length);
    let firstError: { meterId: number; error: string } | undefined;
    const worker = async () => {
      for (let target = queue.shift(); target && !this.stopped; target = queue.shift()) {
        if (pause) await new Promise((r) => setTimeout(r, Math.random() * pause));
        try {
          this.lastRead.set(target.meterId, Date.now());
          const values = await this.collect(target);
          report.succeeded++;
          report.values += values.filter((v) => v.quality !== 'bad').length;
          report.badValues += values.filter((v) => v.quality === 'bad').length;
        } catch (error) {
          report.failed++;
          const reason = error instanceof Error ? error.message : String(error);
          firstError ??= { meterId: target.meterId, error: reason };
          this.options.onFailure?.(target.meterId, reason);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (report.failed) this.logger.warn({ ...report, first: firstError }, 'collection cycle had failures');
    this.options.onCycle?.(report);
    return report;
  }
}
