/**
 * Conformance kit: the checks every collector plugin must pass, runnable from any test runner.
 *
 * ```ts
 * import { checkCollector } from '@metergraph/collector-sdk/conformance';
 * const results = await checkCollector(plugin, {
 *   device: { id: 'm1', settings: { host: '127.0.0.1', port: sim.port, address: '000000000001' } },
 *   points: [{ request: { id: 'p1', settings: { di: '00010000' } }, expect: 'good' }],
 *   unreachableDevice: { id: 'm2', settings: { host: '127.0.0.1', port: 1, address: '000000000002' } },
 * });
 * for (const r of results) expect(r.ok, `${r.check}: ${r.detail}`).toBe(true);
 * ```
 * Run the same scenario against your device simulator (or a real device on a bench) and against
 * Metergraph's built-in simulator where your protocol has one. A serial collector (SDK 1.3) also
 * needs `serialLines`: the checks then run its sessions on real lines, in turns, as the host does.
 */
import {
  describeIssues,
  isCollector,
  parseSettings,
  validateSettings,
  relayResultProblem,
  type RelayCommand,
  type RelayResult,
  type BrandedCollector,
  type CollectorSession,
  type Device,
  type PointRequest,
  type PointValue,
  type Quality,
  type SerialLine,
  type SerialLineListener,
  type SessionContext,
} from './index.js';

/**
 * Serial lines for the kit's sessions (since 1.3): what a host gives its own sessions, so that a
 * serial collector is checked on real lines. Metergraph's host implements it (its `SerialLines`);
 * give the kit that, or an implementation of your own with the same guarantees.
 */
export interface SerialLineService {
  /** Access to the lines for one new session. */
  session(): SerialLineAccess;
}

/** One session's access to serial lines, as a host drives it. */
export interface SerialLineAccess {
  /** What the session's context offers as `serialLine`. */
  readonly open: NonNullable<SessionContext['serialLine']>;
  /** Runs one call of the session: the session's lines are its own for that time only. */
  during<T>(call: () => Promise<T>): Promise<T>;
  /** Closes whatever lines the session left open (the host does so after `close`). Never throws. */
  release(): Promise<void>;
}

/** What the kit runs a plugin against: a device (or its simulator) and what reading it must give. */
export interface ConformanceScenario {
  /** A reachable device with valid settings (as an administrator would enter them: defaults may be left out). */
  readonly device: Device;
  /** Points to read, with the quality each must have (no `expect`: any quality). */
  readonly points: readonly { readonly request: PointRequest; readonly expect?: Quality }[];
  /** Settings of a device that does not answer (closed port, wrong address); optional. */
  readonly unreachableDevice?: Device;
  /**
   * With capability `relayControl` (SDK 1.2): relay commands to send to `device`, in order, each with
   * the status it must get, e.g. `[{ command: 'TRIP', expect: 'confirmed' }, { command:
   * 'PERMIT_CLOSE', expect: 'confirmed' }]` (end with the meter reconnected). Without it, the kit
   * checks only that `controlRelay` exists and honours an aborted signal.
   */
  readonly relay?: readonly { readonly command: RelayCommand; readonly expect: RelayResult['status'] }[];
  /** Time allowed for each call (default 5000 ms). */
  readonly timeoutMs?: number;
  /**
   * Since 1.3, for collectors with `serialLine(device)`: the lines to run the sessions on (a real
   * port or a pseudo-terminal with the device or its simulator at the other end). The kit then
   * also checks the plugin's side of sharing a line: it releases the line at close, keeps working
   * when another session used the line between its calls, and does not take bytes that arrived
   * before its request as the answer. Needs two points expected `good` for that last check.
   */
  readonly serialLines?: SerialLineService;
}

/** The outcome of one check. */
export interface CheckResult {
  /** What was checked, as a sentence ("close() is safe to call twice"); stable across versions. */
  readonly check: string;
  /** True when the plugin passed the check. */
  readonly ok: boolean;
  /** Why it failed (the plugin's error message, or what was wrong); absent when ok. */
  readonly detail?: string;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
const plainContext: SessionContext = { logger: silentLogger, now: () => new Date() };

/** A session as the kit drives it: calls inside the session's turns on its lines, if it has any. */
interface Driven {
  session: CollectorSession;
  /** Runs one call of the session (on its lines, in its turn). */
  turn<T>(call: () => Promise<T>): Promise<T>;
  /** Closes the session, then whatever lines it left open. */
  close(): Promise<void>;
  /** The lines the session opened, as the plugin sees them. */
  lines: TracedLine[];
}

interface TracedLine {
  line: SerialLine;
  closed: boolean;
  /** What the line delivered during the session's latest call, and the way to deliver more. */
  heard: Uint8Array[];
  listener: SerialLineListener;
}

function drive(plugin: BrandedCollector, device: Device, service?: SerialLineService): Driven {
  if (!service) {
    const session = plugin.createSession(device, plainContext);
    return { session, turn: (call) => call(), close: () => session.close(), lines: [] };
  }
  const access = service.session();
  const lines: TracedLine[] = [];
  // The plugin's line, watched: what it heard and whether it let go.
  const open: NonNullable<SessionContext['serialLine']> = async (settings, listener, signal) => {
    const traced: TracedLine = { closed: false, heard: [], listener, line: undefined as unknown as SerialLine };
    const line = await access.open(
      settings,
      {
        data: (bytes) => {
          traced.heard.push(bytes);
          listener.data(bytes);
        },
        lost: (reason) => listener.lost(reason),
      },
      signal,
    );
    traced.line = line;
    lines.push(traced);
    return {
      settings: line.settings,
      write: (bytes) => line.write(bytes),
      close: () => {
        traced.closed = true;
        return line.close();
      },
    };
  };
  const session = plugin.createSession(device, { ...plainContext, serialLine: open });
  return {
    session,
    lines,
    turn: (call) =>
      access.during(() => {
        for (const traced of lines) traced.heard = [];
        return call();
      }),
    close: async () => {
      try {
        await access.during(() => session.close());
      } finally {
        await access.release();
      }
    },
  };
}

async function timed<T>(ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${ms} ms`)), ms);
  try {
    return await run(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the scenario's points once, in poll or push mode. */
async function readOnce(
  plugin: BrandedCollector,
  session: CollectorSession,
  points: PointRequest[],
  ms: number,
): Promise<PointValue[]> {
  if (plugin.describe().mode === 'poll') {
    if (!session.read) throw new Error('poll-mode plugin has no read()');
    return timed(ms, (signal) => session.read!(points, signal));
  }
  if (!session.subscribe) throw new Error('push-mode plugin has no subscribe()');
  const seen = new Map<string, PointValue>();
  const controller = new AbortController();
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    void session.subscribe!(
      points,
      {
        values: (values) => {
          for (const v of values) seen.set(v.pointId, v);
          if (points.every((p) => seen.has(p.id))) {
            clearTimeout(timer);
            resolve();
          }
        },
        event: () => {},
      },
      controller.signal,
    ).catch(() => resolve());
  });
  await done;
  controller.abort();
  return [...seen.values()];
}

type Check = (name: string, run: () => Promise<string | void> | string | void) => Promise<void>;

/** The plugin's side of sharing a serial line (SDK 1.3), on the session `driven` that has read once. */
async function checkSerialLine(
  plugin: BrandedCollector,
  device: Device,
  points: PointRequest[],
  scenario: ConformanceScenario,
  serial: SerialLineService,
  driven: Driven,
  check: Check,
  ms: number,
): Promise<void> {
  const { session } = driven;
  const read = (d: Driven, which: PointRequest[]) =>
    d.turn(() => timed(ms, (signal) => d.session.read!(which, signal)));
  const expected = (values: PointValue[]) =>
    scenario.points
      .filter((p) => p.expect && values.find((v) => v.pointId === p.request.id)?.quality !== p.expect)
      .map(
        (p) => `${p.request.id}: expected ${p.expect}, got ${values.find((v) => v.pointId === p.request.id)?.quality}`,
      )
      .join('; ');

  await check('connect() opens the line serialLine(device) names, through ctx.serialLine', () => {
    const named = plugin.serialLine!(device).path;
    if (!driven.lines.length) return 'connect() opened no serial line';
    const other = driven.lines.find((l) => l.line.settings.path !== named);
    if (other) return `opened ${other.line.settings.path}, but serialLine(device) names ${named}`;
  });
  await check('reads as before after another session used the line between its calls', async () => {
    const other = drive(plugin, device, serial);
    try {
      await other.turn(() => timed(ms, (signal) => other.session.connect(signal)));
      await read(other, points);
    } finally {
      await other.close();
    }
    const wrong = expected(await read(driven, points));
    if (wrong) return `after the other session: ${wrong}`;
  });
  const good = scenario.points
    .filter((p) => p.expect === 'good')
    .map((p) => points.find((q) => q.id === p.request.id)!);
  if (good.length < 2) return;
  await check('does not take bytes that came before its request as the answer', async () => {
    const [first, last] = [good[0]!, good.at(-1)!];
    await read(driven, [last]);
    const answers = driven.lines.map((l) => ({ l, heard: l.heard }));
    if (!answers.some((a) => a.heard.length)) return `reading ${last.id} heard nothing on the line`;
    // That answer again, at the start of the next call and before the session writes its request:
    // a late reply to somebody else's request, as a shared line can carry one.
    const tainted = await driven.turn(() => {
      for (const { l, heard } of answers) for (const bytes of heard) l.listener.data(bytes);
      return timed(ms, (signal) => session.read!([first], signal));
    });
    const clean = await read(driven, [first]);
    const [t, c] = [tainted[0], clean[0]];
    if (t?.quality !== c?.quality || t?.value !== c?.value)
      return `${first.id} read ${t?.value ?? t?.reason} after a stale answer on the line, ${c?.value ?? c?.reason} without`;
  });
}

/**
 * Runs every check that applies to `plugin` (by its mode, capabilities and serial lines) against the
 * scenario, in order, and resolves with one result per check. Never rejects for a failing plugin:
 * a throw inside a check is that check's failure; checks that need a working session are skipped
 * when the export is not a collector or the sample settings are invalid. Calls the plugin as the
 * host would (timeouts, close always), so a pass means the host can run it.
 */
export async function checkCollector(plugin: unknown, scenario: ConformanceScenario): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const check: Check = async (name, run) => {
    try {
      const failure = await run();
      results.push(failure ? { check: name, ok: false, detail: failure } : { check: name, ok: true });
    } catch (error) {
      results.push({ check: name, ok: false, detail: error instanceof Error ? error.message : String(error) });
    }
  };
  const ms = scenario.timeoutMs ?? 5000;

  await check('the export is made by defineCollector with a compatible SDK', () =>
    isCollector(plugin) ? undefined : 'not a branded collector definition',
  );
  if (!isCollector(plugin)) return results;

  await check('describe() gives an id, a name, a mode and a transport', () => {
    const d = plugin.describe();
    if (!/^[a-z][a-z0-9-]{1,63}$/.test(d.id)) return `bad id ${d.id}`;
    if (!d.displayName?.en) return 'displayName.en is missing';
    if (!['poll', 'push'].includes(d.mode)) return `bad mode ${d.mode}`;
    if (!['tcp', 'serial', 'broker', 'http', 'virtual'].includes(d.transport)) return `bad transport ${d.transport}`;
  });
  await check('deviceSchema accepts the sample device and rejects an empty object', async () => {
    const sample = await validateSettings(plugin.deviceSchema, scenario.device.settings);
    if (sample.issues) return `sample device rejected: ${describeIssues(sample.issues)}`;
    if (!(await validateSettings(plugin.deviceSchema, {})).issues) return 'an empty object was accepted';
  });
  await check('pointSchema accepts every sample point', async () => {
    const results = await Promise.all(
      scenario.points.map((p) => validateSettings(plugin.pointSchema, p.request.settings)),
    );
    const bad = scenario.points.filter((_p, i) => results[i]!.issues);
    if (bad.length) return `rejected: ${bad.map((p) => p.request.id).join(', ')}`;
  });

  let device: Device;
  let points: PointRequest[];
  try {
    device = {
      ...scenario.device,
      settings: await parseSettings(plugin.deviceSchema, scenario.device.settings, 'device'),
    };
    points = await Promise.all(
      scenario.points.map(async (p) => ({
        ...p.request,
        settings: await parseSettings(plugin.pointSchema, p.request.settings, p.request.id),
      })),
    );
  } catch {
    // Reported by the checks above; nothing can run without valid settings.
    return results;
  }
  const serial = typeof plugin.serialLine === 'function' ? scenario.serialLines : undefined;
  const driven = drive(plugin, device, serial);
  const { session } = driven;
  let values: PointValue[] = [];
  await check('connect() resolves for a reachable device', () =>
    driven.turn(() => timed(ms, (signal) => session.connect(signal))),
  );
  await check('one value per requested point, with the same ids', async () => {
    values = await driven.turn(() => readOnce(plugin, session, points, ms));
    const ids = values.map((v) => v.pointId).sort();
    const wanted = points.map((p) => p.id).sort();
    if (JSON.stringify(ids) !== JSON.stringify(wanted)) return `got ${ids.join(',')}, wanted ${wanted.join(',')}`;
  });
  await check('values are decimal strings; bad values carry a reason; times are valid', () => {
    for (const v of values) {
      if (v.quality !== 'bad' && (typeof v.value !== 'string' || !DECIMAL.test(v.value)))
        return `${v.pointId}: value ${String(v.value)} is not a decimal string`;
      if (v.quality !== 'good' && !v.reason) return `${v.pointId}: ${v.quality} without a reason`;
      if (!(v.measuredAt instanceof Date) || Number.isNaN(v.measuredAt.getTime()))
        return `${v.pointId}: measuredAt is not a valid Date`;
    }
  });
  await check('each point has the expected quality', () => {
    const wrong = scenario.points.filter(
      (p) => p.expect && values.find((v) => v.pointId === p.request.id)?.quality !== p.expect,
    );
    if (wrong.length)
      return wrong
        .map(
          (p) =>
            `${p.request.id}: expected ${p.expect}, got ${values.find((v) => v.pointId === p.request.id)?.quality}`,
        )
        .join('; ');
  });
  if (plugin.describe().mode === 'poll') {
    await check('read() honours an aborted signal promptly', async () => {
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      const started = Date.now();
      const outcome = await driven
        .turn(() => session.read!(points, controller.signal))
        .then(
          () => 'resolved',
          () => 'rejected',
        );
      if (outcome !== 'rejected') return 'read() resolved although the signal was already aborted';
      if (Date.now() - started > 1000) return 'took longer than 1 s to give up';
    });
  }
  if (plugin.describe().capabilities?.events) {
    await check('readEvents() gives events with a type and valid times, oldest first', async () => {
      if (typeof session.readEvents !== 'function') return 'capability events without readEvents()';
      const events = await driven.turn(() => timed(ms, (signal) => session.readEvents!(undefined, signal)));
      if (!Array.isArray(events)) return 'readEvents() did not resolve to an array';
      for (const e of events) {
        if (typeof e.type !== 'string' || !e.type) return 'an event without a type';
        if (!(e.occurredAt instanceof Date) || Number.isNaN(e.occurredAt.getTime()))
          return `${e.type}: occurredAt is not a valid Date`;
        if (e.endedAt !== undefined && (!(e.endedAt instanceof Date) || e.endedAt < e.occurredAt))
          return `${e.type}: endedAt is not a valid Date after occurredAt`;
      }
      if (events.some((e, i) => i > 0 && e.occurredAt < events[i - 1]!.occurredAt))
        return 'events are not oldest first';
      const newest = events.at(-1)?.occurredAt;
      if (newest) {
        const later = await driven.turn(() => timed(ms, (signal) => session.readEvents!(newest, signal)));
        if (later.some((e) => e.occurredAt <= newest)) return 'readEvents(since) returned events not after since';
      }
    });
  }
  if (plugin.describe().capabilities?.relayControl) {
    await check('controlRelay() answers each command with a valid result', async () => {
      if (typeof session.controlRelay !== 'function') return 'capability relayControl without controlRelay()';
      for (const step of scenario.relay ?? []) {
        const result = await driven.turn(() => timed(ms, (signal) => session.controlRelay!(step.command, signal)));
        const problem = relayResultProblem(result);
        if (problem) return `${step.command}: ${problem}`;
        if (result.status !== step.expect)
          return `${step.command}: expected ${step.expect}, got ${result.status}${'reason' in result ? ` (${result.reason})` : ''}`;
      }
    });
    await check('controlRelay() honours an aborted signal promptly', async () => {
      if (typeof session.controlRelay !== 'function') return 'capability relayControl without controlRelay()';
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      const started = Date.now();
      // PERMIT_CLOSE: harmless if a plugin does send it.
      const outcome = await driven
        .turn(() => session.controlRelay!('PERMIT_CLOSE', controller.signal))
        .then(
          () => 'resolved',
          () => 'rejected',
        );
      if (outcome !== 'rejected') return 'controlRelay() resolved although the signal was already aborted';
      if (Date.now() - started > 1000) return 'took longer than 1 s to give up';
    });
  }
  if (serial && plugin.describe().mode === 'poll')
    await checkSerialLine(plugin, device, points, scenario, serial, driven, check, ms);
  await check('close() is safe to call twice', async () => {
    await driven.turn(() => session.close());
    await driven.close();
  });
  if (serial)
    await check('close() releases every serial line the session opened', () => {
      const kept = driven.lines.filter((l) => !l.closed);
      if (kept.length) return `${kept.map((l) => l.line.settings.path).join(', ')} still open after close()`;
    });

  if (scenario.unreachableDevice) {
    const dead = drive(
      plugin,
      {
        ...scenario.unreachableDevice,
        settings: await parseSettings(plugin.deviceSchema, scenario.unreachableDevice.settings, 'unreachable device'),
      },
      serial,
    );
    await check('an unreachable device fails within the timeout instead of hanging', async () => {
      const started = Date.now();
      try {
        await dead.turn(() => timed(ms, (signal) => dead.session.connect(signal)));
        const got = await dead.turn(() => readOnce(plugin, dead.session, points, ms));
        if (got.some((v) => v.quality === 'good')) return 'an unreachable device produced good values';
      } catch {
        /* a rejection is the expected answer */
      }
      if (Date.now() - started > ms * 2 + 500) return 'took longer than the timeout';
    });
    await check('close() after a failed connect does not throw', () => dead.close());
  }
  return results;
}

/** {@link checkCollector}, throwing one Error that lists every failed check; for runners without per-check reporting. */
export async function assertConformance(plugin: unknown, scenario: ConformanceScenario): Promise<void> {
  const failed = (await checkCollector(plugin, scenario)).filter((r) => !r.ok);
  if (failed.length)
    throw new Error(`collector conformance failed:\n${failed.map((f) => `  - ${f.check}: ${f.detail}`).join('\n')}`);
}
