import { Worker } from 'node:worker_threads';
import type { SessionMethod } from './plugin-host.js';
import type { CollectorDescription, DeviceEvent, PointRequest, PointValue } from '../collectors/sdk/index.js';
import type { Logger } from '../shared/logger.js';
import { WORKER_SOURCE } from './worker-source.js';

export interface SettingsIssue {
  path: string[];
  message: string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class PluginCallError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'crashed' | 'failed',
  ) {
    super(message);
  }
}

/**
 * A plugin package running in its own worker thread. A throw in the plugin rejects that call; a
 * hang is cut off by the call's timeout (and if the worker stops answering, it is terminated); a
 * crash ends the worker and rejects every pending call. Nothing of it reaches the API's thread.
 */
export class WorkerPlugin {
  private worker?: Worker;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private sessionSeq = 0;
  description?: CollectorDescription;
  sdkVersion?: string;
  /** Why the worker last died, if it did. */
  lastCrash?: string;

  constructor(
    private readonly entryUrl: string,
    private readonly logger: Logger,
    private readonly limits = { maxOldGenerationSizeMb: 256 },
  ) {}

  get alive(): boolean {
    return this.worker !== undefined;
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { entryUrl: this.entryUrl },
      resourceLimits: this.limits,
      stdout: false,
      stderr: false,
    });
    worker.on(
      'message',
      (msg: {
        id?: number;
        ok?: boolean;
        result?: unknown;
        error?: string;
        log?: string;
        message?: string;
        detail?: unknown;
      }) => {
        if (msg.log) {
          const level = (['debug', 'info', 'warn', 'error'].includes(msg.log) ? msg.log : 'info') as 'info';
          this.logger[level]({ plugin: this.description?.id, detail: msg.detail }, msg.message ?? '');
          return;
        }
        const call = msg.id === undefined ? undefined : this.pending.get(msg.id);
        if (!call) return;
        this.pending.delete(msg.id!);
        clearTimeout(call.timer);
        if (msg.ok) call.resolve(msg.result);
        else call.reject(new PluginCallError(msg.error ?? 'plugin call failed', 'failed'));
      },
    );
    const died = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.lastCrash = reason;
      this.logger.error({ plugin: this.description?.id, reason }, 'collector plugin worker stopped');
      for (const [id, call] of this.pending) {
        clearTimeout(call.timer);
        call.reject(new PluginCallError(`plugin crashed: ${reason}`, 'crashed'));
        this.pending.delete(id);
      }
    };
    worker.on('error', (error) => died(error.message));
    worker.on('exit', (code) => died(`worker exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** Sends one call; rejects at `timeoutMs`, and terminates a worker that no longer answers at all. */
  private call<T>(op: string, args: unknown, timeoutMs: number): Promise<T> {
    const worker = this.worker;
    // Only load() starts a worker, so a worker never runs without its plugin loaded.
    if (!worker)
      return Promise.reject(
        new PluginCallError(`plugin is not running (${this.lastCrash ?? 'not loaded'})`, 'crashed'),
      );
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        worker.postMessage({ op: 'abort', target: id });
        reject(new PluginCallError(`plugin call ${op} timed out after ${timeoutMs} ms`, 'timeout'));
        // A worker stuck in synchronous code cannot even take the abort: check it still answers.
        void this.ping(Math.min(timeoutMs, 2000)).then((ok) => {
          if (!ok && this.worker === worker) void worker.terminate();
        });
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      worker.postMessage({ id, op, args });
    });
  }

  private ping(timeoutMs: number): Promise<boolean> {
    const worker = this.worker;
    if (!worker) return Promise.resolve(false);
    return this.call('validatePoint', { settings: {} }, timeoutMs).then(
      () => true,
      (e: unknown) => !(e instanceof PluginCallError && e.kind !== 'failed'),
    );
  }

  async load(timeoutMs: number): Promise<CollectorDescription> {
    if (!this.worker) this.start();
    const { description, sdkVersion } = await this.call<{ description: CollectorDescription; sdkVersion: string }>(
      'load',
      {},
      timeoutMs,
    );
    this.description = description;
    this.sdkVersion = sdkVersion;
    return description;
  }

  /** Restarts a crashed worker and loads the plugin again. */
  async ensureLoaded(timeoutMs: number): Promise<void> {
    if (!this.worker) await this.load(timeoutMs);
  }

  validateDevice(settings: unknown, timeoutMs: number) {
    return this.call<SettingsIssue[]>('validateDevice', { settings }, timeoutMs);
  }

  validatePoint(settings: unknown, timeoutMs: number) {
    return this.call<SettingsIssue[]>('validatePoint', { settings }, timeoutMs);
  }

  resourceKey(device: { id: string; settings: unknown }, timeoutMs: number) {
    return this.call<string>('resourceKey', { device }, timeoutMs);
  }

  async createSession(device: { id: string; settings: unknown }, timeoutMs: number): Promise<string> {
    const sessionId = `s${++this.sessionSeq}`;
    await this.call('createSession', { sessionId, device }, timeoutMs);
    return sessionId;
  }

  sessionCall<T>(sessionId: string, method: SessionMethod, args: unknown[], timeoutMs: number) {
    return this.call<T>('call', { sessionId, method, args }, timeoutMs);
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}

export type { DeviceEvent, PointRequest, PointValue };
