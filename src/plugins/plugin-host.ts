import semver from 'semver';
import {
  SDK_VERSION,
  withSignal,
  type BrandedCollector,
  type CollectorDescription,
  type DeviceEvent,
  type PointRequest,
  type PointValue,
} from '../collectors/sdk/index.js';
import type { Logger } from '../shared/logger.js';
import { KeyedMutex } from './keyed-mutex.js';
import { PluginLoadError, readManifest } from './package-plugin.js';
import { PluginCallError, WorkerPlugin, type SettingsIssue } from './worker-plugin.js';

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
  probe(): Promise<boolean>;
  syncTime(at: Date): Promise<void>;
  close(): Promise<void>;
}

export type SessionMethod = 'connect' | 'read' | 'readEvents' | 'probe' | 'syncTime' | 'close';

/** The same operations whether the plugin runs in-process (built-in) or in a worker (package). */
interface Runner {
  description: CollectorDescription;
  validateDevice(settings: unknown): Promise<SettingsIssue[]>;
  validatePoint(settings: unknown): Promise<SettingsIssue[]>;
  resourceKey(device: HostedDevice): Promise<string>;
  open(device: HostedDevice): Promise<(method: SessionMethod, args: unknown[]) => Promise<unknown>>;
  stop(): Promise<void>;
}

const issuesOf = (result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}): SettingsIssue[] =>
  result.success ? [] : result.error!.issues.map((i) => ({ path: i.path.map(String), message: i.message }));

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
    validateDevice: async (settings) => issuesOf(collector.deviceSchema.safeParse(settings)),
    validatePoint: async (settings) => issuesOf(collector.pointSchema.safeParse(settings)),
    resourceKey: async (device) =>
      collector.resourceKey?.({ id: device.id, settings: collector.deviceSchema.parse(device.settings) }) ??
      `device:${device.id}`,
    open: async (device) => {
      const session = collector.createSession(
        { id: device.id, settings: collector.deviceSchema.parse(device.settings) },
        { logger: log, now: () => new Date() },
      );
      return async (method, args) => {
        const signal = AbortSignal.timeout(timeoutMs);
        const fn = (session as unknown as Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined>)[method];
        if (!fn) throw new PluginCallError(`session has no ${method}()`, 'failed');
        if (method === 'read')
          args = [
            (args[0] as PointRequest[]).map((p) => ({ ...p, settings: collector.pointSchema.parse(p.settings) })),
          ];
        // withSignal: a plugin that ignores its signal still cannot hold the caller past the timeout.
        return withSignal(fn.call(session, ...args, signal), signal).catch((error: unknown) => {
          if (signal.aborted)
            throw new PluginCallError(`plugin call ${method} timed out after ${timeoutMs} ms`, 'timeout');
          throw error;
        });
      };
    },
    stop: async () => {},
  };
}

function inWorker(plugin: WorkerPlugin, timeoutMs: number, loadMs: number): Runner {
  return {
    description: plugin.description!,
    validateDevice: (settings) => plugin.ensureLoaded(loadMs).then(() => plugin.validateDevice(settings, timeoutMs)),
    validatePoint: (settings) => plugin.ensureLoaded(loadMs).then(() => plugin.validatePoint(settings, timeoutMs)),
    resourceKey: (device) => plugin.ensureLoaded(loadMs).then(() => plugin.resourceKey(device, timeoutMs)),
    open: async (device) => {
      await plugin.ensureLoaded(loadMs);
      const sessionId = await plugin.createSession(device, timeoutMs);
      return (method, args) => plugin.sessionCall(sessionId, method, args, timeoutMs);
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

  constructor(
    private readonly logger: Logger,
    private readonly options: {
      callTimeoutMs: number;
      installDir: string;
      /** Starting a worker and importing a package (default: 15 s, or the call timeout if longer). */
      loadTimeoutMs?: number;
    },
  ) {}

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
        const loadMs = this.options.loadTimeoutMs ?? Math.max(timeoutMs, 15_000);
        const description = await plugin.load(loadMs);
        if (!semver.satisfies(plugin.sdkVersion ?? '0.0.0', `^${SDK_VERSION.split('.')[0]}`)) {
          await plugin.stop();
          return failed(`built with collector SDK ${plugin.sdkVersion}, incompatible with ${SDK_VERSION}`);
        }
        return this.accept(description.id, inWorker(plugin, timeoutMs, loadMs), {
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
    if (!runner) throw new PluginCallError(`no collector plugin "${id}" is loaded`, 'failed');
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
    const key = await runner.resourceKey(device);
    const call = await runner.open(device);
    let connected = false;
    let closed = false;
    const guarded = <T>(method: SessionMethod, args: unknown[]) =>
      this.mutex.run(key, () => call(method, args) as Promise<T>, options);
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
      probe: () => guarded<boolean>('probe', []),
      syncTime: (at) => guarded('syncTime', [at]),
      close: async () => {
        if (closed) return;
        closed = true;
        await guarded('close', []).catch((error: unknown) =>
          this.logger.warn({ plugin: pluginId, err: error }, 'close failed'),
        );
      },
    };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
  }
}
