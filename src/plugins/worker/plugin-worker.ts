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
  SerialLine,
  SerialLineListener,
  SerialLineSettings,
  SessionContext,
  StandardSchemaV1,
} from '../../collectors/sdk/index.js';
import type { FromWorker, LineAsk, SettingsIssue, ToWorker, WorkerData, WorkerDevice, WorkerOps } from './protocol.js';

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

/** Questions to the host about serial lines, waiting for their answers. */
const asked = new Map<number, { resolve(result: number | undefined): void; reject(error: Error): void }>();
let nextAsk = 1;
/** The listeners of the lines the host lent to this thread's sessions, by the host's number. */
const lineListeners = new Map<number, SerialLineListener>();

type Ask = LineAsk extends infer A ? (A extends LineAsk ? Omit<A, 'ask'> : never) : never;

function ask(question: Ask): Promise<number | undefined> {
  const n = nextAsk++;
  return new Promise((resolve, reject) => {
    asked.set(n, { resolve, reject });
    post({ ...question, ask: n } as LineAsk);
  });
}

/**
 * A serial line for a session of this thread: the port is the host's, the bytes cross as messages.
 * A CollectorError the host answers keeps its kind (the SDK recognises it by shape).
 */
async function openLine(
  sessionId: string,
  settings: SerialLineSettings,
  listener: SerialLineListener,
  signal: AbortSignal,
): Promise<SerialLine> {
  if (signal.aborted) throw signal.reason ?? new Error('aborted');
  const opening = ask({ op: 'lineOpen', sessionId, settings: { ...settings } });
  let line: number;
  try {
    line = (await new Promise<number | undefined>((resolve, reject) => {
      const onAbort = () => reject(signal.reason ?? new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      opening.then(
        (n) => (done(), resolve(n)),
        (e: unknown) => (done(), reject(e)),
      );
    }))!;
  } catch (error) {
    // Given up while the host was opening it: hand the share back once it is made.
    void opening.then(
      (n) => ask({ op: 'lineClose', line: n! }),
      () => undefined,
    );
    throw error;
  }
  lineListeners.set(line, listener);
  let closed = false;
  return {
    settings,
    write: async (bytes) => void (await ask({ op: 'lineWrite', line, bytes })),
    close: async () => {
      if (closed) return;
      closed = true;
      lineListeners.delete(line);
      await ask({ op: 'lineClose', line }).catch(() => undefined);
    },
  };
}

function loaded(): BrandedCollector {
  if (!plugin) throw new Error('the plugin is not loaded');
  return plugin;
}

/**
 * Settings are checked with the plugin's schemas through the Standard Schema protocol, which
 * every SDK version's schemas speak (zod's, and JSON Schema wrapped by defineCollector since 1.3).
 * This is the SDK's `validateSettings` again, on purpose: the worker cannot import the SDK, and the
 * plugin's own copy of it may predate that function.
 */
async function check(schema: StandardSchemaV1, value: unknown): Promise<{ value: unknown; issues: SettingsIssue[] }> {
  const result = await schema['~standard'].validate(value);
  if (!result.issues) return { value: result.value, issues: [] };
  const issues = result.issues.map((i) => ({
    path: (i.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p)),
    message: i.message,
  }));
  return { value: undefined, issues };
}

/** Valid settings as the plugin sees them, or a CollectorError `misconfigured` (by shape, as the SDK makes it). */
async function parse(schema: StandardSchemaV1, value: unknown, what: string): Promise<unknown> {
  const { value: parsed, issues } = await check(schema, value);
  if (!issues.length) return parsed;
  const detail = issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`).join('; ');
  throw Object.assign(new Error(`${what}: ${detail}`), { name: 'CollectorError', kind: 'misconfigured' });
}

const parseDevice = async (device: WorkerDevice) => ({
  id: device.id,
  settings: await parse(loaded().deviceSchema, device.settings, 'device settings'),
});
const parsePoints = (points: PointRequest[]) =>
  Promise.all(
    points.map(async (p) => ({
      ...p,
      settings: await parse(loaded().pointSchema, p.settings, `point ${p.id} settings`),
    })),
  );

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
  validateDevice: async ({ settings }) => (await check(loaded().deviceSchema, settings)).issues,
  validatePoint: async ({ settings }) => (await check(loaded().pointSchema, settings)).issues,
  resource: async ({ device }) => {
    const collector = loaded();
    if (collector.serialLine) return { line: { ...collector.serialLine(await parseDevice(device)) } };
    return { key: collector.resourceKey ? collector.resourceKey(await parseDevice(device)) : `device:${device.id}` };
  },
  async createSession({ sessionId, device }) {
    const context: SessionContext = {
      logger,
      now: () => new Date(),
      serialLine: (settings, listener, signal) => openLine(sessionId, settings, listener, signal),
    };
    sessions.set(sessionId, loaded().createSession(await parseDevice(device), context));
    return true as const;
  },
  async subscribe({ sessionId, points }, signal, id) {
    const session = sessions.get(sessionId);
    if (!session || typeof session.subscribe !== 'function') throw new Error('session has no subscribe()');
    const parsed = await parsePoints(points);
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
    if (method === 'read') args = [await parsePoints(args[0] as PointRequest[])];
    const result = await fn.call(session, ...args, signal);
    if (method === 'close') sessions.delete(sessionId);
    return result;
  },
};

/** Runs plugin code handed bytes or news of a loss; a throw there must not reach the message loop. */
function tell(run: () => void) {
  try {
    run();
  } catch (error) {
    logger.warn('a serial line listener threw', { error: describeError(error) });
  }
}

port.on('message', async (msg: ToWorker) => {
  if ('answer' in msg) {
    const waiting = asked.get(msg.answer);
    asked.delete(msg.answer);
    if (msg.ok) waiting?.resolve(msg.result);
    else waiting?.reject(Object.assign(new Error(msg.error), { name: 'CollectorError', kind: msg.kind }));
    return;
  }
  if ('line' in msg) {
    const listener = lineListeners.get(msg.line);
    if (!listener) return;
    // Structured cloning delivers a Buffer as a plain Uint8Array; plugins in Node expect Buffers.
    if ('data' in msg)
      tell(() => listener.data(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength)));
    else tell(() => listener.lost(msg.lost));
    return;
  }
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
