/**
 * The messages between the host and a plugin's worker thread (./plugin-worker.ts). Types only:
 * both sides import it with `import type`, so nothing of it exists at run time and the worker
 * stays free of host code.
 *
 * Host to worker: a call `{ id, op, args }`, answered by the worker with `{ id, ok: true, result }`
 * or `{ id, ok: false, error }`; `{ op: 'abort', target, reason? }` fires the signal of call `target`.
 * `subscribe` is a call that stays open: until it is answered the worker streams
 * `{ sub: id, values }` and `{ sub: id, event }`. Logging goes up as `{ log, message, detail }`.
 *
 * Serial lines (SDK 1.3) are opened by the host, in its thread, and lent to the worker's sessions:
 * the worker asks `{ ask: n, op: 'lineOpen' | 'lineWrite' | 'lineClose', ... }` and the host
 * answers `{ answer: n, ok, result | error, kind }`; the bytes a line receives during its session's
 * call come down as `{ line, data }`, a lost port as `{ line, lost }`.
 */
import type { CollectorDescription, PointRequest, SerialLineSettings } from '../../collectors/sdk/index.js';

/** The calls the host makes on a session, in its own thread or in a plugin's worker. */
export type SessionMethod = 'connect' | 'read' | 'readEvents' | 'controlRelay' | 'probe' | 'syncTime' | 'close';

/** What the host asks a worker to do, with the arguments of each. */
export interface WorkerOps {
  load: { args: Record<string, never>; result: { description: CollectorDescription; sdkVersion: string } };
  validateDevice: { args: { settings: unknown }; result: SettingsIssue[] };
  validatePoint: { args: { settings: unknown }; result: SettingsIssue[] };
  resource: { args: { device: WorkerDevice }; result: DeviceResource };
  createSession: { args: { sessionId: string; device: WorkerDevice }; result: true };
  call: { args: { sessionId: string; method: SessionMethod; args: unknown[] }; result: unknown };
  subscribe: { args: { sessionId: string; points: PointRequest[] }; result: true };
}

export type WorkerOp = keyof WorkerOps;

export interface WorkerDevice {
  id: string;
  settings: unknown;
}

/**
 * What a device's sessions must not share with others at the same time: a serial line (SDK 1.3,
 * keyed by the host from the line's path, across plugins) or the plugin's own resource key.
 */
export type DeviceResource = { key: string } | { line: SerialLineSettings };

/** One problem with a device's or point's settings, with the path of the offending field. */
export interface SettingsIssue {
  path: string[];
  message: string;
}

/** What a worker asks of the host for its sessions' serial lines; `line` is the host's number for a share. */
export type LineAsk =
  | { ask: number; op: 'lineOpen'; sessionId: string; settings: SerialLineSettings }
  | { ask: number; op: 'lineWrite'; line: number; bytes: Uint8Array }
  | { ask: number; op: 'lineClose'; line: number };

/** Host to worker. */
export type ToWorker =
  | { [K in WorkerOp]: { id: number; op: K; args: WorkerOps[K]['args'] } }[WorkerOp]
  | { op: 'abort'; target: number; reason?: string }
  /** `lineOpen` answers the line's number; `kind` is the CollectorError kind of a refusal. */
  | { answer: number; ok: true; result?: number }
  | { answer: number; ok: false; error: string; kind: string }
  | { line: number; data: Uint8Array }
  | { line: number; lost: string };

/** Worker to host. */
export type FromWorker =
  | { id: number; ok: true; result: unknown }
  /** `kind`: the plugin threw a CollectorError of this kind (checked by the host). */
  | { id: number; ok: false; error: string; kind?: string }
  | { sub: number; values: unknown }
  | { sub: number; event: unknown }
  | { log: 'debug' | 'info' | 'warn' | 'error'; message: string; detail?: unknown }
  | LineAsk;

/** What the host hands the worker when it starts it. */
export interface WorkerData {
  /** file:// URL of the plugin package's entry module. */
  entryUrl: string;
}
