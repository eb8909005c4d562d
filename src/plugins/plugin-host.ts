import semver from 'semver';
import {
  parseSettings,
  relayResultProblem,
  SDK_VERSION,
  validateSettings,
  type SettingsSchema,
  withSignal,
  type BrandedCollector,
  type CollectorDescription,
  type DeviceEvent,
  type PointRequest,
  type PointValue,
  type RelayCommand,
  type RelayResult,
  type ValueSink,
} from '../collectors/sdk/index.js';
import type { SerialLineAccess } from '../collectors/sdk/conformance.js';
import type { Logger } from '../shared/logger.js';
import { KeyedMutex } from './keyed-mutex.js';
import { PluginLoadError, readManifest } from './package-plugin.js';
import { checkEvent, checkValues } from './value-check.js';
import { lineKey, SerialLines } from './serial-lines.js';
import { PluginCallError, WorkerPlugin, type RawSink, type SettingsIssue } from './worker-plugin.js';
import type { DeviceResource, SessionMethod } from './worker/protocol.js';

export type PluginSource = { kind: 'builtin'; collector: BrandedCollector } | { kind: 'package'; spec: string };

/** What admins see about each configured plugin. */
export interface PluginStatus {
  id?: string;
  source: string;
  version?: string;
  status: 'ready' | 'failed';
  error?: string;
  description?: CollectorDescription;
}

export interface HostedDevice {
  id: string;
  settings: unknown;
}

/** A session whose every call has a timeout and is serialised with the sessions that share its line. */
export interface HostedSession {
  connect(): Promise<void>;
  read(points: PointRequest[]): Promise<PointValue[]>;
  /** Present when the plugin declares capability `events`. */
  readEvents?(since: Date | undefined): Promise<DeviceEvent[]>;
  /**
   * Present when the plugin declares capability `relayControl`. Resolves with the plugin's result,
   * checked (it may come from a worker thread); rejects when the device cannot be reached or the
   * plugin answered something that is not a relay result.
   */
  controlRelay?(command: RelayCommand): Promise<RelayResult>;
  probe(): Promise<boolean>;
  syncTime(at: Date): Promise<void>;
  close(): Promise<void>;
}

export type { SessionMethod } from './worker/protocol.js';

/**
 * Where a subscription's deliveries go. Values and events arrive checked (see value-check.ts);
 * `connected` is told once `connect` resolved, just before `subscribe` is called.
 */
export interface SubscriptionSink extends ValueSink {
  connected?(): void;
}

/** One session of a plugin, as the host drives it. */
interface OpenedSession {
  /** A call with the host's timeout; `cancel` ends it early. */
  call(method: SessionMethod, args: unknown[], cancel?: AbortSignal): Promise<unknown>;
  /** `subscribe` without a timeout, until `signal` fires (plus a grace period) or the plugin returns. */
  subscribe(points: PointRequest[], sink: RawSink, signal: AbortSignal): Promise<void>;
}

/** The same operations whether the plugin runs in-process (built-in) or in a worker (package). */
interface Runner {
  description: CollectorDescription;
  validateDevice(settings: unknown): Promise<SettingsIssue[]>;
  validatePoint(settings: unknown): Promise<SettingsIssue[]>;
  resource(device: HostedDevice): Promise<DeviceResource>;
  /** `lines`: the session's access to the host's serial lines (its context's `serialLine`). */
  open(device: HostedDevice, lines: SerialLineAccess): Promise<OpenedSession>;
  stop(): Promise<void>;
}

/** A settings schema's problems with a value, as the host lists them (any schema the SDK accepts). */
const issuesOf = async (schema: SettingsSchema, value: unknown): Promise<SettingsIssue[]> =>
  ((await validateSettings(schema, value)).issues ?? []).map((i) => ({ path: [...i.path], message: i.message }));

/**
 * Waits for a plugin's subscribe: its rejection is the subscription's failure; once `signal`
 * fired, the plugin gets `graceMs` to return before the host goes on without it (to close).
 */
async function untilStopped(
  running: Promise<void>,
  signal: AbortSignal,
  graceMs: number,
  onLate: () => void,
): Promise<void> {
  let onAbort = () => {};
  const stopped = new Promise<'stopped'>((resolve) => {
    onAbort = () => resolve('stopped');
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([running.then(() => 'ended' as const), stopped]);
    if (first === 'ended') return;
  } catch (error) {
    if (!signal.aborted) throw error;
    return;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([
    running.then(
      () => false,
      () => false,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
  ]);
  clearTimeout(timer);
  if (late) onLate();
}

/** First-party collectors run in the API's process; their calls still get timeouts. */
function inProcess(collector: BrandedCollector, timeoutMs: number, logger: Logger): Runner {
  const log = {
    debug: (m: string, d?: Record<string, unknown>) => logger.debug({ plugin: collector.describe().id, ...d }, m),
    info: (m: string, d?: Record<string, unknown>) => logger.info({ plugin: collector.describe().id, ...d }, m),
    warn: (m: string, d?: Record<string, unknown>) => logger.warn({ plugin: collector.describe().id, ...d }, m),
    error: (m: string, d?: Record<string, unknown>) => logger.error({ plugin: collector.describe().id, ...d }, m),
  };
  return {
    description: collector.describe(),
    validateDevice: (settings) => issuesOf(collector.deviceSchema, settings),
    validatePoint: (settings) => issuesOf(collector.pointSchema, settings),
    resource: async (device) => {
      const parsed = {
        id: device.id,
        settings: await parseSettings(collector.deviceSchema, device.settings, 'device settings'),
      };
      if (collector.serialLine) return { line: collector.serialLine(parsed) };
      return { key: collector.resourceKey?.(parsed) ?? `device:${device.id}` };
    },
    open: async (device, lines) => {
      const session = collector.createSession(
        { id: device.id, settings: await parseSettings(collector.deviceSchema, device.settings, 'device settings') },
        { logger: log, now: () => new Date(), serialLine: lines.open },
      );
      const parsePoints = (points: PointRequest[]) =>
        Promise.all(
          points.map(async (p) => ({
            ...p,
            settings: await parseSettings(collector.pointSchema, p.settings, `point ${p.id} settings`),
          })),
        );
      return {
        call: async (method, args, cancel) => {
          const timeout = AbortSignal.timeout(timeoutMs);
          const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
          const fn = (session as unknown as Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined>)[
            method
          ];
          if (!fn) throw new PluginCallError(`session has no ${method}()`, 'failed', 'unsupported');
          if (method === 'read') args = [await parsePoints(args[0] as PointRequest[])];
          // withSignal: a plugin that ignores its signal still cannot hold the caller past the timeout.
          return withSignal(fn.call(session, ...args, signal), signal).catch((error: unknown) => {
            if (timeout.aborted)
              throw new PluginCallError(`plugin call ${method} timed out after ${timeoutMs} ms`, 'timeout');
            if (cancel?.aborted) throw new PluginCallError(`plugin call ${method} cancelled`, 'cancelled');
            throw error;
          });
        },
        subscribe: async (points, sink, signal) => {
          if (typeof session.subscribe !== 'function')
            throw new PluginCallError('session has no subscribe()', 'failed', 'unsupported');
          const parsed = await parsePoints(points);
          const running = (async () => session.subscribe!(parsed, sink, signal))();
          await untilStopped(running, signal, timeoutMs, () =>
            log.warn(`subscribe did not return within ${timeoutMs} ms of its stop`),
          );
        },
      };
    },
    stop: async () => {},
  };
}

function inWorker(plugin: WorkerPlugin, timeoutMs: number, loadTimeoutMs: number): Runner {
  return {
    description: plugin.description!,
    validateDevice: (settings) =>
      plugin.ensureLoaded(loadTimeoutMs).then(() => plugin.validateDevice(settings, timeoutMs)),
    validatePoint: (settings) =>
      plugin.ensureLoaded(loadTimeoutMs).then(() => plugin.validatePoint(settings, timeoutMs)),
    resource: (device) => plugin.ensureLoaded(loadTimeoutMs).then(() => plugin.resource(device, timeoutMs)),
    open: async (device, lines) => {
      await plugin.ensureLoaded(loadTimeoutMs);
      const sessionId = await plugin.createSession(device, timeoutMs, lines);
      return {
        call: (method, args, cancel) => plugin.sessionCall(sessionId, method, args, timeoutMs, cancel),
        subscribe: (points, sink, signal) => plugin.subscribe(sessionId, points, sink, signal, timeoutMs),
      };
    },
    stop: () => plugin.stop(),
  };
}

/**
 * Loads collector plugins, refuses what it cannot trust, and hands out sessions with the host's
 * guarantees (timeouts, one caller per shared line, close always called). A plugin that fails to
 * load is listed with its error; it never stops the server or the other plugins.
 */
export class PluginHost {
  private runners = new Map<string, Runner>();
  private statuses: PluginStatus[] = [];
  private mutex = new KeyedMutex();
  private readonly lines: SerialLines;

  constructor(
    private readonly logger: Logger,
    private readonly options: {
      callTimeoutMs: number;
      installDir: string;
      /**
       * Starting a package's worker and importing it (at startup and after a crash). Default: the
       * call timeout, but at least 10 s: a thread and its imports are slower than a device call,
       * above all on a busy machine.
       */
      loadTimeoutMs?: number;
    },
  ) {
    this.lines = new SerialLines(logger);
  }

  /**
   * The key calls on a device are serialised by, and the device's access to serial lines: a
   * serial line's key is its port, whichever plugin speaks on it (SDK 1.3).
   */
  private async turnsOf(runner: Runner, device: HostedDevice): Promise<{ key: string; lines: SerialLineAccess }> {
    const resource = await runner.resource(device);
    const key = 'line' in resource ? lineKey(resource.line.path) : resource.key;
    return { key, lines: this.lines.session(key) };
  }

  async load(sources: PluginSource[]): Promise<PluginStatus[]> {
    for (const source of sources) this.statuses.push(await this.loadOne(source));
    return this.list();
  }

  private accept(id: string, runner: Runner, status: PluginStatus): PluginStatus {
    if (this.runners.has(id)) {
      void runner.stop();
      const first = this.statuses.find((s) => s.id === id)?.source;
      return { ...status, status: 'failed', error: `duplicate collector id "${id}": already provided by ${first}` };
    }
    this.runners.set(id, runner);
    this.logger.info({ plugin: id, source: status.source }, 'collector plugin loaded');
    return status;
  }

  private async loadOne(source: PluginSource): Promise<PluginStatus> {
    const timeoutMs = this.options.callTimeoutMs;
    const loadTimeoutMs = this.options.loadTimeoutMs ?? Math.max(timeoutMs, 10_000);
    if (source.kind === 'builtin') {
      const d = source.collector.describe();
      return this.accept(d.id, inProcess(source.collector, timeoutMs, this.logger), {
        id: d.id,
        source: 'builtin',
        version: SDK_VERSION,
        status: 'ready',
        description: d,
      });
    }
    const failed = (error: string, extra: Partial<PluginStatus> = {}): PluginStatus => {
      this.logger.error({ source: source.spec, error }, 'collector plugin refused');
      return { source: source.spec, status: 'failed', error, ...extra };
    };
    try {
      const manifest = readManifest(source.spec, this.options.installDir);
      if (!semver.validRange(manifest.sdkRange))
        return failed(`invalid SDK range "${manifest.sdkRange}"`, { version: manifest.version });
      if (!semver.satisfies(SDK_VERSION, manifest.sdkRange)) {
        return failed(`needs collector SDK ${manifest.sdkRange}, this server provides ${SDK_VERSION}`, {
          version: manifest.version,
        });
      }
      const plugin = new WorkerPlugin(manifest.entryUrl, this.logger);
      try {
        const description = await plugin.load(loadTimeoutMs);
        if (!semver.satisfies(plugin.sdkVersion ?? '0.0.0', `^${SDK_VERSION.split('.')[0]}`)) {
          await plugin.stop();
          return failed(`built with collector SDK ${plugin.sdkVersion}, incompatible with ${SDK_VERSION}`);
        }
        return this.accept(description.id, inWorker(plugin, timeoutMs, loadTimeoutMs), {
          id: description.id,
          source: `${manifest.name}@${manifest.version}`,
          version: manifest.version,
          status: 'ready',
          description,
        });
      } catch (error) {
        await plugin.stop();
        return failed(error instanceof Error ? error.message : String(error), { version: manifest.version });
      }
    } catch (error) {
      if (error instanceof PluginLoadError) return failed(error.message);
      throw error;
    }
  }

  list(): PluginStatus[] {
    return this.statuses.map((s) => ({ ...s }));
  }

  private runner(id: string): Runner {
    const runner = this.runners.get(id);
    if (!runner) throw new PluginCallError(`no collector plugin "${id}" is loaded`, 'failed', 'misconfigured');
    return runner;
  }

  /** Checks a device's settings against the plugin's schema; issues are shown to admins, never thrown. */
  validateDevice(pluginId: string, settings: unknown): Promise<SettingsIssue[]> {
    return this.runner(pluginId).validateDevice(settings);
  }

  validatePoint(pluginId: string, settings: unknown): Promise<SettingsIssue[]> {
    return this.runner(pluginId).validatePoint(settings);
  }

  /** With `urgent`, the session's calls go ahead of others waiting for the same line (on-demand reads). */
  async openSession(
    pluginId: string,
    device: HostedDevice,
    options: { urgent?: boolean } = {},
  ): Promise<HostedSession> {
    const runner = this.runner(pluginId);
    // The line or gateway itself, whichever plugin speaks on it: two protocols on one serial line
    // must take turns as much as two meters do.
    const { key, lines } = await this.turnsOf(runner, device);
    const { call } = await runner.open(device, lines);
    let connected = false;
    let closed = false;
    // Each call is the session's turn on its lines too: they are its own for that time only.
    const guarded = <T>(method: SessionMethod, args: unknown[]) =>
      this.mutex.run(key, () => lines.during(() => call(method, args) as Promise<T>), options);
    return {
      connect: async () => {
        await guarded('connect', []);
        connected = true;
      },
      read: (points) => {
        if (!connected) return Promise.reject(new PluginCallError('read before connect', 'failed'));
        return guarded<PointValue[]>('read', [points]);
      },
      readEvents: runner.description.capabilities?.events
        ? (since) => {
            if (!connected) return Promise.reject(new PluginCallError('readEvents before connect', 'failed'));
            return guarded<DeviceEvent[]>('readEvents', [since]);
          }
        : undefined,
      controlRelay: runner.description.capabilities?.relayControl
        ? async (command) => {
            if (!connected) throw new PluginCallError('controlRelay before connect', 'failed');
            const result = await guarded<unknown>('controlRelay', [command]);
            const problem = relayResultProblem(result);
            if (problem)
              throw new PluginCallError(
                `the plugin answered an invalid relay result: ${problem}`,
                'failed',
                'unsupported',
              );
            return result as RelayResult;
          }
        : undefined,
      probe: () => guarded<boolean>('probe', []),
      syncTime: (at) => guarded('syncTime', [at]),
      close: async () => {
        if (closed) return;
        closed = true;
        await guarded('close', []).catch((error: unknown) =>
          this.logger.warn({ plugin: pluginId, err: error }, 'close failed'),
        );
        // Whatever the plugin did not give back (or could not, having crashed).
        await lines.release();
      },
    };
  }

  /**
   * Runs a push-mode subscription: opens a session, connects (with the call timeout, taking its turn
   * on the device's line), then calls `subscribe` with no timeout and without holding the line, so
   * that it runs until `signal` fires. Resolves when it was stopped or the plugin's subscribe
   * returned by itself; rejects when connect or subscribe failed, or the plugin's worker died.
   * `close` is always called, on the line, before this settles. Everything the plugin delivers is
   * checked before it reaches `sink`: a value that is not as the SDK describes becomes a bad value
   * with the reason, an event that is not one is logged and dropped.
   */
  async subscribe(
    pluginId: string,
    device: HostedDevice,
    points: PointRequest[],
    sink: SubscriptionSink,
    signal: AbortSignal,
  ): Promise<void> {
    const runner = this.runner(pluginId);
    if (signal.aborted) return;
    const { key, lines } = await this.turnsOf(runner, device);
    const session = await runner.open(device, lines);
    const requested = new Set(points.map((p) => p.id));
    let open = true;
    // A throwing sink is the caller's bug; it must not end up in the plugin's code.
    const deliver = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (error) {
        this.logger.error({ plugin: pluginId, device: device.id, err: error }, `delivering ${what} failed`);
      }
    };
    const checked: RawSink = {
      values: (raw) => {
        if (!open) return;
        const values = checkValues(raw, requested, new Date());
        if (values.length) deliver('values', () => sink.values(values));
      },
      event: (raw) => {
        if (!open) return;
        const event = checkEvent(raw);
        if (typeof event === 'string')
          this.logger.warn(
            { plugin: pluginId, device: device.id, problem: event },
            'plugin delivered an invalid event',
          );
        else deliver('an event', () => sink.event(event));
      },
    };
    try {
      await this.mutex.run(key, () => lines.during(() => session.call('connect', [], signal)));
      if (signal.aborted) return;
      deliver('connected', () => sink.connected?.());
      await session.subscribe(points, checked, signal);
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      open = false;
      await this.mutex
        .run(key, () => lines.during(() => session.call('close', [])))
        .catch((error: unknown) => this.logger.warn({ plugin: pluginId, err: error }, 'close failed'));
      await lines.release();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
    await this.lines.stop();
  }
}
