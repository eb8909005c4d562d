/**
 * The code that runs inside a plugin's worker thread. Kept as a string (evaluated as the worker
 * script) so that it runs the same from the compiled build and from the test runner, and because
 * it must not import anything of ours: only the plugin itself is loaded in the worker.
 *
 * Protocol: the host posts { id, op, args }; the worker answers { id, ok, result } or
 * { id, ok: false, error }. `abort` cancels the call with the given id (`reason` says why).
 * `subscribe` is a call that stays open: until it is answered, the worker posts
 * { sub: id, values } and { sub: id, event } for what the plugin delivers to its sink, and an
 * `abort` for its id ends it. What the plugin delivers is checked on the host's side, not here.
 */
export const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const BRAND = Symbol.for('metergraph.collector.v1');
let plugin;
const sessions = new Map();
const controllers = new Map();
const logger = {
  debug: (m, d) => parentPort.postMessage({ log: 'debug', message: String(m), detail: d }),
  info: (m, d) => parentPort.postMessage({ log: 'info', message: String(m), detail: d }),
  warn: (m, d) => parentPort.postMessage({ log: 'warn', message: String(m), detail: d }),
  error: (m, d) => parentPort.postMessage({ log: 'error', message: String(m), detail: d }),
};
const issues = (r) => r.success ? [] : r.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
const ops = {
  async load() {
    const mod = await import(workerData.entryUrl);
    plugin = mod.default ?? mod.collector;
    if (!plugin || !plugin[BRAND]) throw new Error('the package does not export a collector made by defineCollector');
    return { description: plugin.describe(), sdkVersion: plugin[BRAND].sdkVersion };
  },
  validateDevice: ({ settings }) => issues(plugin.deviceSchema.safeParse(settings)),
  validatePoint: ({ settings }) => issues(plugin.pointSchema.safeParse(settings)),
  resourceKey: ({ device }) => plugin.resourceKey ? plugin.resourceKey({ id: device.id, settings: plugin.deviceSchema.parse(device.settings) }) : 'device:' + device.id,
  createSession({ sessionId, device }) {
    const settings = plugin.deviceSchema.parse(device.settings);
    sessions.set(sessionId, plugin.createSession({ id: device.id, settings }, { logger, now: () => new Date() }));
    return true;
  },
  async subscribe({ sessionId, points }, signal, id) {
    const session = sessions.get(sessionId);
    if (!session || typeof session.subscribe !== 'function') throw new Error('session has no subscribe()');
    const parsed = points.map((p) => ({ ...p, settings: plugin.pointSchema.parse(p.settings) }));
    let open = true;
    const sink = {
      values(values) {
        if (!open) return;
        try {
          parentPort.postMessage({ sub: id, values });
        } catch (error) {
          // Not structured-cloneable (functions, symbols...): the points get a bad value instead.
          const reason = 'values could not be passed to the host: ' + (error instanceof Error ? error.message : String(error));
          parentPort.postMessage({ sub: id, values: parsed.map((p) => ({ pointId: p.id, quality: 'bad', reason, measuredAt: new Date() })) });
        }
      },
      event(event) {
        if (!open) return;
        try {
          parentPort.postMessage({ sub: id, event });
        } catch (error) {
          logger.warn('event could not be passed to the host', { error: error instanceof Error ? error.message : String(error) });
        }
      },
    };
    try {
      await session.subscribe(parsed, sink, signal);
    } finally {
      open = false;
    }
    return true;
  },
  async call({ sessionId, method, args }, signal) {
    const session = sessions.get(sessionId);
    if (!session || typeof session[method] !== 'function') throw new Error('session has no ' + method + '()');
    if (method === 'read') args = [args[0].map((p) => ({ ...p, settings: plugin.pointSchema.parse(p.settings) }))];
    const result = await session[method](...args, signal);
    if (method === 'close') sessions.delete(sessionId);
    return result;
  },
};
parentPort.on('message', async (msg) => {
  if (msg.op === 'abort') { controllers.get(msg.target)?.abort(new Error(msg.reason || 'timed out')); return; }
  const controller = new AbortController();
  controllers.set(msg.id, controller);
  try {
    const result = await ops[msg.op](msg.args || {}, controller.signal, msg.id);
    parentPort.postMessage({ id: msg.id, ok: true, result });
  } catch (error) {
    parentPort.postMessage({ id: msg.id, ok: false, error: error instanceof Error ? error.message : String(error) });
  } finally {
    controllers.delete(msg.id);
  }
});
`;
