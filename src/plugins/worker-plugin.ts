import { Worker } from 'node:worker_threads';
import type { SerialLineAccess } from '../collectors/sdk/conformance.js';
import {
  COLLECTOR_ERROR_KINDS,
  CollectorError,
  isCollectorError,
  type SerialLine,
  type CollectorDescription,
  type CollectorErrorKind,
  type DeviceEvent,
  type PointRequest,
  type PointValue,
} from '../collectors/sdk/index.js';
import type { Logger } from '../shared/logger.js';
import { PLUGIN_WORKER_URL } from './worker/location.js';
import type {
  DeviceResource,
  FromWorker,
  LineAsk,
  SessionMethod,
  SettingsIssue,
  ToWorker,
  WorkerData,
  WorkerOp,
} from './worker/protocol.js';

const send = (worker: Worker, message: ToWorker) => worker.postMessage(message);

export type { SettingsIssue };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
}

/** Where a subscription's deliveries go; unchecked, as they arrive from the worker. */
export interface RawSink {
  values(values: unknown): void;
  event(event: unknown): void;
}

/** How a call to a plugin went wrong, seen from the host. */
export type CallFailure = 'timeout' | 'crashed' | 'failed' | 'cancelled';

/** The kind each failure gets unless the plugin said better (a `failed` call carries the plugin's). */
const KIND_OF: Record<CallFailure, CollectorErrorKind> = {
  timeout: 'timeout',
  cancelled: 'timeout',
  // The device could not be reached through its plugin; a fresh worker may do better.
  crashed: 'unreachable',
  failed: 'unreachable',
};

/**
 * A call to a plugin that failed. A {@link CollectorError}, so that the runtime learns the kind:
 * the plugin's own when it threw one, otherwise the kind of the failure.
 */
export class PluginCallError extends CollectorError {
  constructor(
    message: string,
    readonly failure: CallFailure,
    kind: CollectorErrorKind = KIND_OF[failure],
  ) {
    super(kind, message);
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
  /** Open subscriptions by call id: where the worker's { sub, values | event } messages go. */
  private streams = new Map<number, RawSink>();
  private sessionSeq = 0;
  /** Each session's access to serial lines (the host's), by session id. */
  private readonly lineAccess = new Map<string, SerialLineAccess>();
  /** The lines lent to this worker's sessions, by the number the worker knows them by. */
  private readonly lines = new Map<number, { line: SerialLine; sessionId: string }>();
  private nextLine = 1;
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
    const workerData: WorkerData = { entryUrl: this.entryUrl };
    const worker = new Worker(PLUGIN_WORKER_URL, {
      workerData,
      resourceLimits: this.limits,
      stdout: false,
      stderr: false,
    });
    worker.on('message', (msg: FromWorker) => {
      if ('log' in msg) {
        const level = ['debug', 'info', 'warn', 'error'].includes(msg.log) ? msg.log : 'info';
        this.logger[level]({ plugin: this.description?.id, detail: msg.detail }, msg.message ?? '');
        return;
      }
      if ('ask' in msg) {
        void this.answer(worker, msg);
        return;
      }
      if ('sub' in msg) {
        const stream = this.streams.get(msg.sub);
        if (!stream) return;
        if ('values' in msg) stream.values(msg.values);
        else stream.event(msg.event);
        return;
      }
      const call = this.pending.get(msg.id);
      if (!call) return;
      this.pending.delete(msg.id);
      clearTimeout(call.timer);
      if (msg.ok) call.resolve(msg.result);
      else {
        const kind = COLLECTOR_ERROR_KINDS.find((k) => k === msg.kind);
        call.reject(new PluginCallError(msg.error ?? 'plugin call failed', 'failed', kind));
      }
    });
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
      void this.releaseLines();
    };
    worker.on('error', (error) => died(error.message));
    worker.on('exit', (code) => died(`worker exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** Answers a worker's question about its sessions' serial lines: the ports are opened here, in the host's thread. */
  private async answer(worker: Worker, question: LineAsk): Promise<void> {
    const reply = (message: ToWorker) => this.worker === worker && send(worker, message);
    try {
      if (question.op === 'lineOpen') {
        const access = this.lineAccess.get(question.sessionId);
        if (!access) throw new CollectorError('unsupported', 'the session is closed');
        const n = this.nextLine++;
        // Bounded by the port's own open; a worker that gave up meanwhile closes the share.
        const line = await access.open(
          question.settings,
          {
            data: (data) => reply({ line: n, data }),
            lost: (lost) => reply({ line: n, lost }),
          },
          AbortSignal.timeout(60_000),
        );
        this.lines.set(n, { line, sessionId: question.sessionId });
        reply({ answer: question.ask, ok: true, result: n });
      } else if (question.op === 'lineWrite') {
        const lent = this.lines.get(question.line);
        if (!lent) throw new CollectorError('unreachable', 'the serial line is closed');
        await lent.line.write(question.bytes);
        reply({ answer: question.ask, ok: true });
      } else {
        const lent = this.lines.get(question.line);
        this.lines.delete(question.line);
        await lent?.line.close();
        reply({ answer: question.ask, ok: true });
      }
    } catch (error) {
      reply({
        answer: question.ask,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
        kind: isCollectorError(error) ? error.kind : 'unreachable',
      });
    }
  }

  /** A dead or stopped worker's lines go back to the host. */
  private async releaseLines(): Promise<void> {
    const lent = [...this.lines.values()];
    this.lines.clear();
    this.lineAccess.clear();
    await Promise.all(lent.map(({ line }) => line.close()));
  }

  /**
   * Sends one call; rejects at `timeoutMs`, and terminates a worker that no longer answers at all.
   * `cancel` ends the call early (the worker's signal fires with "cancelled").
   */
  private call<T>(op: WorkerOp, args: unknown, timeoutMs: number, cancel?: AbortSignal): Promise<T> {
    const worker = this.worker;
    // Only load() starts a worker, so a worker never runs without its plugin loaded.
    if (!worker)
      return Promise.reject(
        new PluginCallError(`plugin is not running (${this.lastCrash ?? 'not loaded'})`, 'crashed'),
      );
    if (cancel?.aborted) return Promise.reject(new PluginCallError(`plugin call ${op} cancelled`, 'cancelled'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onCancel = () => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        send(worker, { op: 'abort', target: id, reason: 'cancelled' });
        reject(new PluginCallError(`plugin call ${op} cancelled`, 'cancelled'));
      };
      const timer = setTimeout(() => {
        cancel?.removeEventListener('abort', onCancel);
        this.pending.delete(id);
        send(worker, { op: 'abort', target: id });
        reject(new PluginCallError(`plugin call ${op} timed out after ${timeoutMs} ms`, 'timeout'));
        // A worker stuck in synchronous code cannot even take the abort: check it still answers.
        void this.ping(Math.min(timeoutMs, 2000)).then((ok) => {
          if (!ok && this.worker === worker) void worker.terminate();
        });
      }, timeoutMs);
      cancel?.addEventListener('abort', onCancel, { once: true });
      const done = () => cancel?.removeEventListener('abort', onCancel);
      this.pending.set(id, {
        resolve: (v) => {
          done();
          resolve(v as T);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        timer,
      });
      send(worker, { id, op, args } as ToWorker);
    });
  }

  private ping(timeoutMs: number): Promise<boolean> {
    const worker = this.worker;
    if (!worker) return Promise.resolve(false);
    return this.call('validatePoint', { settings: {} }, timeoutMs).then(
      () => true,
      (e: unknown) => !(e instanceof PluginCallError && e.failure !== 'failed'),
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

  resource(device: { id: string; settings: unknown }, timeoutMs: number) {
    return this.call<DeviceResource>('resource', { device }, timeoutMs);
  }

  /** `lines`: the session's access to the host's serial lines, offered to it as `ctx.serialLine`. */
  async createSession(
    device: { id: string; settings: unknown },
    timeoutMs: number,
    lines: SerialLineAccess,
  ): Promise<string> {
    const sessionId = `s${++this.sessionSeq}`;
    this.lineAccess.set(sessionId, lines);
    try {
      await this.call('createSession', { sessionId, device }, timeoutMs);
    } catch (error) {
      this.lineAccess.delete(sessionId);
      throw error;
    }
    return sessionId;
  }

  async sessionCall<T>(
    sessionId: string,
    method: SessionMethod,
    args: unknown[],
    timeoutMs: number,
    cancel?: AbortSignal,
  ): Promise<T> {
    try {
      return await this.call<T>('call', { sessionId, method, args }, timeoutMs, cancel);
    } finally {
      // The host releases what the session left open (its access); here only the numbers go.
      if (method === 'close') {
        this.lineAccess.delete(sessionId);
        for (const [n, lent] of this.lines) if (lent.sessionId === sessionId) this.lines.delete(n);
      }
    }
  }

  /**
   * Runs the session's `subscribe` in the worker with no timeout: deliveries go to `sink` until
   * `signal` fires (then the worker's signal fires too, and the plugin gets `graceMs` to return)
   * or the plugin's subscribe settles. Resolves when it ended normally or was stopped; rejects with
   * the plugin's error, or with kind `crashed` when the worker died under it.
   */
  subscribe(
    sessionId: string,
    points: PointRequest[],
    sink: RawSink,
    signal: AbortSignal,
    graceMs: number,
  ): Promise<void> {
    const worker = this.worker;
    if (!worker)
      return Promise.reject(
        new PluginCallError(`plugin is not running (${this.lastCrash ?? 'not loaded'})`, 'crashed'),
      );
    if (signal.aborted) return Promise.resolve();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      let grace: NodeJS.Timeout | undefined;
      const finish = () => {
        this.pending.delete(id);
        this.streams.delete(id);
        signal.removeEventListener('abort', onAbort);
        clearTimeout(grace);
      };
      const onAbort = () => {
        send(worker, { op: 'abort', target: id, reason: 'subscription stopped' });
        // A plugin that ignores its signal is not waited for: close() follows and ends it.
        grace = setTimeout(() => {
          this.logger.warn(
            { plugin: this.description?.id },
            `subscribe did not return within ${graceMs} ms of its stop`,
          );
          finish();
          resolve();
        }, graceMs);
      };
      this.pending.set(id, {
        resolve: () => {
          finish();
          resolve();
        },
        reject: (error) => {
          finish();
          // Once stopped, how the plugin ended does not matter.
          if (signal.aborted) resolve();
          else reject(error);
        },
      });
      this.streams.set(id, sink);
      signal.addEventListener('abort', onAbort, { once: true });
      send(worker, { id, op: 'subscribe', args: { sessionId, points } });
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
    await this.releaseLines();
    // Nothing will answer them now (open subscriptions included).
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(new PluginCallError('plugin stopped', 'crashed'));
      this.pending.delete(id);
    }
  }
}

export type { DeviceEvent, PointRequest, PointValue };
