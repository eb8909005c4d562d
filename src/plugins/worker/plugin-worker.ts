/**
 * The program of a plugin's worker thread: loads one vendor package and runs what the host asks
 * of it (./protocol.ts). It imports nothing of ours at run time, only types, so that the thread
 * holds the plugin and this file and nothing of the host (eslint keeps it so). The host starts it
 * from its compiled `.js` (docs/adr/0018-the-plugin-worker-as-a-module.md).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type {
  BrandedCollector,
  CollectorLogger,
  CollectorSession,
  PointRequest,
  PointValue,
  SessionContext,
} from '../../collectors/sdk/index.js';
import type { FromWorker, SettingsIssue, ToWorker, WorkerData, WorkerDevice, WorkerOps } from './protocol.js';

if (!parentPort) throw new Error('the plugin worker runs only as a worker thread');
const port = parentPort;
const { entryUrl } = workerData as WorkerData;

// The brand is a global symbol: the plugin's copy of the SDK and the host's agree on it without
// this file importing the SDK (ADR 0004).
const BRAND = Symbol.for('metergraph.collector.v1');

const post = (message: FromWorker) => port.postMessage(message);
const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

let plugin: BrandedCollector | undefined;
const sessions = new Map<string, CollectorSession>();
const controllers = new Map<number, AbortController>();

const logger: CollectorLogger = {
  debug: (message, detail) => post({ log: 'debug', message: String(message), detail }),
  info: (message, detail) => post({ log: 'info', message: String(message), detail }),
  warn: (message, detail) => post({ log: 'warn', message: String(message), detail }),
  error: (message, detail) => post({ log: 'error', message: String(message), detail }),
};

function loaded(): BrandedCollector {
  if (!plugin) throw new Error('the plugin is not loaded');
  return plugin;
}

type SafeParse = (value: unknown) => {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
};

function issues(schema: { safeParse: SafeParse }, value: unknown): SettingsIssue[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error!.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
}

const parseDevice = (device: WorkerDevice) => ({
  id: device.id,
  settings: loaded().deviceSchema.parse(device.settings),
});
const parsePoints = (points: PointRequest[]) =>
  points.map((p) => ({ ...p, settings: loaded().pointSchema.parse(p.settings) }));

type Handler<K extends keyof WorkerOps> = (
  args: WorkerOps[K]['args'],
  signal: AbortSignal,
  id: number,
) => WorkerOps[K]['result'] | Promise<WorkerOps[K]['result']>;

const ops: { [K in keyof WorkerOps]: Handler<K> } = {
  async load() {
    const mod = (await import(entryUrl)) as { default?: unknown; collector?: unknown };
    const candidate = (mod.default ?? mod.collector) as (BrandedCollector & Record<symbol, unknown>) | undefined;
    const brand = candidate?.[BRAND] as { sdkVersion: string } | undefined;
    if (!candidate || !brand) throw new Error('the package does not export a collector made by defineCollector');
    plugin = candidate;
    return { description: candidate.describe(), sdkVersion: brand.sdkVersion };
  },
  validateDevice: ({ settings }) => issues(loaded().deviceSchema, settings),
  validatePoint: ({ settings }) => issues(loaded().pointSchema, settings),
  resourceKey: ({ device }) => {
    const collector = loaded();
    return collector.resourceKey ? collector.resourceKey(parseDevice(device)) : `device:${device.id}`;
  },
  createSession({ sessionId, device }) {
    const context: SessionContext = { logger, now: () => new Date() };
    sessions.set(sessionId, loaded().createSession(parseDevice(device), context));
    return true as const;
  },
  async subscribe({ sessionId, points }, signal, id) {
    const session = sessions.get(sessionId);
    if (!session || typeof session.subscribe !== 'function') throw new Error('session has no subscribe()');
    const parsed = parsePoints(points);
    let open = true;
    const sink = {
      values(values: PointValue[]) {
        if (!open) return;
        try {
          post({ sub: id, values });
        } catch (error) {
          // Not structured-cloneable (functions, symbols...): the points get a bad value instead.
          const reason = `values could not be passed to the host: ${describeError(error)}`;
          post({
            sub: id,
            values: parsed.map((p) => ({ pointId: p.id, quality: 'bad', reason, measuredAt: new Date() })),
          });
        }
      },
      event(event: unknown) {
        if (!open) return;
        try {
          post({ sub: id, event });
        } catch (error) {
          logger.warn('event could not be passed to the host', { error: describeError(error) });
        }
      },
    };
    try {
      await session.subscribe(parsed, sink, signal);
    } finally {
      open = false;
    }
    return true as const;
  },
  async call({ sessionId, method, args }, signal) {
    const session = sessions.get(sessionId) as unknown as
      Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined> | undefined;
    const fn = session?.[method];
    if (!session || typeof fn !== 'function') throw new Error(`session has no ${method}()`);
    if (method === 'read') args = [parsePoints(args[0] as PointRequest[])];
    const result = await fn.call(session, ...args, signal);
    if (method === 'close') sessions.delete(sessionId);
    return result;
  },
};

port.on('message', async (msg: ToWorker) => {
  if (msg.op === 'abort') {
    controllers.get(msg.target)?.abort(new Error(msg.reason || 'timed out'));
    return;
  }
  const controller = new AbortController();
  controllers.set(msg.id, controller);
  try {
    const handler = ops[msg.op] as Handler<typeof msg.op>;
    const result = await handler(msg.args as never, controller.signal, msg.id);
    post({ id: msg.id, ok: true, result });
  } catch (error) {
    // A CollectorError keeps its kind across the thread boundary (recognised by shape, as the SDK does).
    const kind = (error as { name?: unknown; kind?: unknown } | null)?.kind;
    const named = (error as { name?: unknown } | null)?.name === 'CollectorError' && typeof kind === 'string';
    post({ id: msg.id, ok: false, error: describeError(error), ...(named ? { kind } : {}) });
  } finally {
    controllers.delete(msg.id);
  }
});
