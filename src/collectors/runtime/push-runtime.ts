import type { DeviceEvent, PointRequest, PointValue } from '../sdk/index.js';
import type { Logger } from '../../shared/logger.js';
import { failureOf, fingerprintOf } from './failures.js';
import { readingsOf, type CollectionTarget, type ReadingSink } from './runtime.js';

/** Where a subscription delivers (values and events arrive checked by the host). */
export interface SubscriptionSink {
  values(values: PointValue[]): void;
  event(event: DeviceEvent): void;
  /** The device connected; `subscribe` is about to be called. */
  connected?(): void;
}

/** What the push runtime needs from the plugin host (a port: the host satisfies it). */
export interface Subscriber {
  /**
   * Runs one subscription until `signal` fires (resolves), the plugin ends it (resolves) or it
   * fails (rejects); the session is closed before it settles.
   */
  subscribe(
    pluginId: string,
    device: { id: string; settings: unknown },
    points: PointRequest[],
    sink: SubscriptionSink,
    signal: AbortSignal,
  ): Promise<void>;
}

/** Where device events go (a port: collection's event store satisfies it). */
export interface PushEventStore {
  record(meterId: number, events: DeviceEvent[]): Promise<unknown>;
}

export interface Backoff {
  /** Pause before the first reconnection; doubles with each failure in a row. */
  baseMs: number;
  capMs: number;
  /** A subscription that stayed connected this long starts again from `baseMs` when it fails. */
  healthyMs: number;
  /**
   * Pause after a permanent failure (`misconfigured`, `unsupported`): the subscription is tried
   * again when the meter's settings change, or after this long.
   */
  permanentMs: number;
}

export interface PushRuntimeOptions {
  /** How often the subscriptions are reconciled with the meters under push collection. */
  intervalMs: number;
  backoff?: Partial<Backoff>;
  /** Values of a meter whose quality did not change are reported to `onSuccess` at most this often. */
  successEveryMs?: number;
  onBadValue?: (meterId: number, value: PointValue) => void;
  /** The device could not be reached: connect failed, or the subscription ended before any value. */
  onFailure?: (meterId: number, reason: string) => void;
  /** The device delivered; `values` says with what quality. */
  onSuccess?: (meterId: number, values: PointValue[]) => void;
  events?: PushEventStore;
  /** Source of randomness for the jitter (tests pin it). */
  random?: () => number;
}

export type SubscriptionState = 'connecting' | 'subscribed' | 'waiting';

export interface SubscriptionStatus {
  meterId: number;
  pluginId: string;
  state: SubscriptionState;
  /** Failures in a row since the last healthy period. */
  failures: number;
  lastError?: string;
}

interface Subscription {
  target: CollectionTarget;
  fingerprint: string;
  controller: AbortController;
  state: SubscriptionState;
  failures: number;
  lastError?: string;
  /** The loop; settles after the last close. */
  done: Promise<void>;
  /** Last report to onSuccess: when, and whether every value was usable. */
  reported?: { at: number; allGood: boolean };
}

const DEFAULT_BACKOFF: Backoff = { baseMs: 1000, capMs: 60_000, healthyMs: 60_000, permanentMs: 3_600_000 };

/**
 * Push-mode collection: one long-lived subscription per meter whose plugin delivers values by
 * itself (MQTT and the like), instead of reads on a schedule. Every interval the subscriptions are
 * reconciled with the targets (new meters subscribe, changed settings resubscribe, removed meters
 * stop). A subscription that fails or ends is reconnected after an exponential pause with jitter,
 * which starts over after a healthy period. Good values go to ingestion as AUTOMATIC readings, bad
 * ones to `onBadValue`, device events to the event store.
 */
export class PushRuntime {
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly backoff: Backoff;
  private timer?: NodeJS.Timeout;
  private reconciling?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly host: Subscriber,
    private readonly sink: ReadingSink,
    private readonly targets: () => Promise<CollectionTarget[]>,
    private readonly logger: Logger,
    private readonly options: PushRuntimeOptions,
  ) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  start(): void {
    const tick = () => void this.reconcile();
    this.timer = setInterval(tick, this.options.intervalMs);
    this.timer.unref();
    tick();
  }

  /** Aborts every subscription and waits until each is closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.reconciling;
    const all = [...this.subscriptions.values()];
    this.subscriptions.clear();
    for (const sub of all) sub.controller.abort(new Error('collection stopped'));
    await Promise.all(all.map((sub) => sub.done));
  }

  status(): SubscriptionStatus[] {
    return [...this.subscriptions.values()].map((s) => ({
      meterId: s.target.meterId,
      pluginId: s.target.pluginId,
      state: s.state,
      failures: s.failures,
      ...(s.lastError === undefined ? {} : { lastError: s.lastError }),
    }));
  }

  /** Brings the subscriptions in line with the targets; one reconciliation at a time. */
  reconcile(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.reconciling ??= this.reconcileOnce().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    let targets: CollectionTarget[];
    try {
      targets = await this.targets();
    } catch (error) {
      // Keep what runs; the next interval tries again.
      this.logger.warn({ err: error }, 'could not load push collection targets');
      return;
    }
    if (this.stopped) return;
    const wanted = new Map(targets.map((t) => [t.meterId, t]));
    const stopping: Promise<void>[] = [];
    for (const [meterId, sub] of this.subscriptions) {
      const target = wanted.get(meterId);
      if (target && this.fingerprint(target) === sub.fingerprint) continue;
      this.subscriptions.delete(meterId);
      sub.controller.abort(new Error(target ? 'settings changed' : 'meter no longer under push collection'));
      stopping.push(sub.done);
    }
    // A changed meter's old session is closed before its new one connects (one broker client each).
    await Promise.all(stopping);
    if (this.stopped) return;
    for (const target of targets) if (!this.subscriptions.has(target.meterId)) this.begin(target);
  }

  private fingerprint(target: CollectionTarget): string {
    return fingerprintOf(target);
  }

  private begin(target: CollectionTarget): void {
    const sub: Subscription = {
      target,
      fingerprint: this.fingerprint(target),
      controller: new AbortController(),
      state: 'connecting',
      failures: 0,
      done: Promise.resolve(),
    };
    sub.done = this.run(sub).catch((error: unknown) =>
      this.logger.error({ err: error, meterId: target.meterId }, 'push subscription loop failed'),
    );
    this.subscriptions.set(target.meterId, sub);
  }

  /** Pause before reconnection attempt `n` (0-based): half fixed, half random, so that meters spread out. */
  delayMs(n: number): number {
    const full = Math.min(this.backoff.capMs, this.backoff.baseMs * 2 ** Math.min(n, 30));
    return Math.round(full / 2 + (this.options.random ?? Math.random)() * (full / 2));
  }

  private async run(sub: Subscription): Promise<void> {
    const { target } = sub;
    const signal = sub.controller.signal;
    while (!signal.aborted) {
      sub.state = 'connecting';
      let connectedAt: number | undefined;
      let delivered = false;
      let reason: string;
      let permanent = false;
      try {
        await this.host.subscribe(
          target.pluginId,
          target.device,
          target.points,
          {
            connected: () => {
              connectedAt = Date.now();
              sub.state = 'subscribed';
              this.logger.info({ meterId: target.meterId, plugin: target.pluginId }, 'push subscription running');
            },
            values: (values) => {
              delivered = true;
              this.deliver(sub, values);
            },
            event: (event) => this.event(target.meterId, event),
          },
          signal,
        );
        if (signal.aborted) break;
        reason = 'the subscription ended';
      } catch (error) {
        if (signal.aborted) break;
        ({ reason, permanent } = failureOf(error));
      }
      if (connectedAt !== undefined && Date.now() - connectedAt >= this.backoff.healthyMs) sub.failures = 0;
      // Trying a misconfigured meter again every minute mends nothing: a settings change does
      // (reconcile then starts a new subscription at once).
      const delay = permanent ? this.backoff.permanentMs : this.delayMs(sub.failures);
      sub.failures++;
      sub.lastError = reason;
      sub.state = 'waiting';
      sub.reported = undefined;
      this.logger.warn(
        { meterId: target.meterId, plugin: target.pluginId, reason, failures: sub.failures, retryInMs: delay },
        'push subscription failed; reconnecting',
      );
      // Not reached at all, or never heard from: the device is out of contact.
      if (connectedAt === undefined || !delivered) this.options.onFailure?.(target.meterId, reason);
      await this.pause(delay, signal);
    }
  }

  private pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Good values to ingestion (as the poll runtime hands them over), bad ones to onBadValue. */
  private deliver(sub: Subscription, values: PointValue[]): void {
    const { target } = sub;
    // Pushed values for points the meter does not have are reported like bad ones.
    const { readings, bad, unknown } = readingsOf(target, values);
    for (const v of [...bad, ...unknown]) this.options.onBadValue?.(target.meterId, v);
    if (readings.length) {
      try {
        this.sink.submit(readings);
      } catch (error) {
        // Ingestion is full or its journal failed: these values are lost, the subscription goes on.
        this.logger.warn({ err: error, meterId: target.meterId, values: readings.length }, 'pushed values refused');
      }
    }
    const allGood = values.every((v) => v.quality !== 'bad');
    const now = Date.now();
    const last = sub.reported;
    if (!last || last.allGood !== allGood || now - last.at >= (this.options.successEveryMs ?? 60_000)) {
      sub.reported = { at: now, allGood };
      this.options.onSuccess?.(target.meterId, values);
    }
  }

  private event(meterId: number, event: DeviceEvent): void {
    const store = this.options.events;
    if (!store) return;
    store
      .record(meterId, [event])
      .catch((error: unknown) => this.logger.warn({ err: error, meterId }, 'recording a pushed meter event failed'));
  }
}
