import { AlarmType } from '../orm/entities/enums.js';
import { publishReadingsCorrected, type Events } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { AlarmRaiser } from './alarms/alarm-raiser.js';
import { MeterEvents } from './alarms/meter-events.js';
import { MeterWatch } from './alarms/meter-watch.js';
import { raiseForDroppedReadings, raiseForSuspectReadings } from './alarms/reading-alarms.js';
import { Ingestion } from './ingestion/ingestion.js';
import type { SqlExecutor } from './ingestion/readings.js';
import { readingPublisher } from './ingestion/publish.js';
import { ChannelBackoff } from './runtime/channel-backoff.js';
import { channelTargets } from './runtime/channel-targets.js';
import { PushRuntime, type Subscriber } from './runtime/push-runtime.js';
import { CollectionRuntime, type CollectionTarget, type SessionOpener } from './runtime/runtime.js';
import { TaskPlanner } from './runtime/task-planner.js';
import { failureOf } from './runtime/failures.js';
import { badValue, type PointValue, type RelayResult } from './sdk/index.js';
import type { CollectionPort, CollectorPluginView, RelayCommand, RelayOutcome } from './port.js';
import { simulatedTargets } from './runtime/simulated-targets.js';

/** What collection needs from the plugin host beyond sessions (a port: the host satisfies it). */
export interface PluginCatalogue extends SessionOpener, Subscriber {
  list(): CollectorPluginView[];
  validateDevice(pluginId: string, settings: unknown): Promise<{ path: string[]; message: string }[]>;
  validatePoint(pluginId: string, settings: unknown): Promise<{ path: string[]; message: string }[]>;
}

export interface CollectionOptions {
  journalDir: string;
  /** How often the runtime looks for meters that are due. */
  cycleMs: number;
  defaultTimeZone: string;
  /** Pause before the first re-collection of a failed read (doubles per attempt, up to retryCapMs). */
  retryBaseMs: number;
  retryCapMs: number;
  taskRetentionDays: number;
  offlineAfterHours: number;
  stoppedAfterDays: number;
  /** Collect the SIMULATED meters (the demo), with this share of faulty meter-minutes. */
  simulate?: { faultRate: number };
}

/**
 * Automatic collection, assembled: runtime (schedules, on-demand reads) -> ingestion (journal,
 * checks, batched writes) -> alarms and live events. Returns the port the API uses.
 */
export function createCollection(
  sql: SqlExecutor,
  events: Events,
  logger: Logger,
  host: PluginCatalogue,
  options: CollectionOptions,
) {
  const alarms = new AlarmRaiser(sql, events, logger);
  const meterEvents = new MeterEvents(sql, alarms, logger);
  const watch = new MeterWatch(sql, alarms, logger, {
    offlineAfterHours: options.offlineAfterHours,
    stoppedAfterDays: options.stoppedAfterDays,
    simulated: Boolean(options.simulate),
  });
  let watchTimer: NodeJS.Timeout | undefined;
  const runWatch = () => {
    watch.run().catch((error: unknown) => logger.warn({ err: error }, 'meter watch failed'));
  };
  const publishReadings = readingPublisher(sql, events, logger);
  const ingestion = new Ingestion(sql, logger, {
    journalDir: options.journalDir,
    onWritten: (rows) => {
      publishReadings(rows);
      raiseForSuspectReadings(alarms, rows);
    },
    onDropped: (rows) => raiseForDroppedReadings(alarms, rows),
    // Late actual values over estimates: what was derived from the estimates is recomputed.
    onReplacedEstimates: (changes) => publishReadingsCorrected(events, changes),
  });
  const fromChannels = channelTargets(sql);
  const simulated = options.simulate ? simulatedTargets(sql, options.simulate.faultRate) : undefined;
  // Push-mode plugins deliver through a subscription; the planner never schedules reads for them.
  const pushPlugins = () =>
    new Set(host.list().flatMap((p) => (p.status === 'ready' && p.description?.mode === 'push' ? [p.id] : [])));
  const targets = async (): Promise<CollectionTarget[]> => {
    const push = pushPlugins();
    return [...(simulated ? await simulated() : []), ...(await fromChannels()).filter((t) => !push.has(t.pluginId))];
  };
  const pushTargets = async (): Promise<CollectionTarget[]> => {
    const push = pushPlugins();
    return (await fromChannels()).filter((t) => push.has(t.pluginId));
  };
  const note = (sqlText: string, params: unknown[]) =>
    sql
      .execute(sqlText, params)
      .catch((error: unknown) => logger.warn({ err: error }, 'recording a collection result failed'));
  const planner = new TaskPlanner(sql, targets, {
    defaultTimeZone: options.defaultTimeZone,
    retryBaseMs: options.retryBaseMs,
    retryCapMs: options.retryCapMs,
    taskRetentionDays: options.taskRetentionDays,
  });
  // The same outcomes, alarms and bookkeeping whether a meter was read or pushed its values.
  const outcomes = {
    onBadValue: (meterId: number, value: PointValue) =>
      alarms.raiseLater({
        meterId,
        type: AlarmType.READING_FAILURE,
        message: value.reason ?? 'no value',
        at: value.measuredAt,
      }),
    onFailure: (meterId: number, reason: string) => {
      alarms.raiseLater({ meterId, type: AlarmType.COMMUNICATION_FAILURE, message: reason, at: new Date() });
      void note(`update meter_collection set last_failure_at = now(), last_error = ? where meter_id = ?`, [
        reason.slice(0, 255),
        meterId,
      ]);
    },
    onSuccess: (meterId: number, values: PointValue[]) => {
      // Answering clears a communication failure; answering every point clears a reading failure.
      const cleared = values.some((v) => v.quality === 'bad')
        ? [AlarmType.COMMUNICATION_FAILURE, AlarmType.METER_OFFLINE]
        : [AlarmType.COMMUNICATION_FAILURE, AlarmType.METER_OFFLINE, AlarmType.READING_FAILURE];
      alarms.clearLater(meterId, cleared);
      void note(`update meter_collection set last_success_at = now() where meter_id = ?`, [meterId]);
    },
  };
  const runtime = new CollectionRuntime(host, ingestion, planner, logger, {
    intervalMs: options.cycleMs,
    jitterMs: Math.min(2000, options.cycleMs / 4),
    concurrency: 4,
    events: meterEvents,
    // After three connections in a row fail, a channel rests 30 s, doubling up to 15 min.
    backoff: new ChannelBackoff({ threshold: 3, baseMs: 30_000, capMs: 900_000 }),
    ...outcomes,
    // Progress for live views; a cycle with nothing due is not news.
    onCycle: (report) => {
      if (report.meters) events.publish('COLLECTION_CYCLE', { finishedAt: new Date().toISOString(), ...report });
    },
  });
  const push = new PushRuntime(host, ingestion, pushTargets, logger, {
    intervalMs: options.cycleMs,
    events: meterEvents,
    ...outcomes,
  });

  /** The meter's collection target: its channel's, or the simulator's for a demo meter. */
  const targetOf = async (meterId: number): Promise<CollectionTarget | undefined> =>
    (await fromChannels(meterId))[0] ?? (await simulated?.())?.find((t) => t.meterId === meterId);

  const port: CollectionPort = {
    plugins: () => host.list(),
    async check(pluginId: string, device: Record<string, unknown>, points: Record<string, unknown>[]) {
      if (!host.list().some((p) => p.id === pluginId && p.status === 'ready')) {
        return { status: 'PLUGIN_MISSING' as const, detail: `no collector plugin "${pluginId}" is loaded` };
      }
      const issues = [
        ...(await host.validateDevice(pluginId, device)).map((i) => `${i.path.join('.') || '(device)'}: ${i.message}`),
        ...(await Promise.all(points.map((p) => host.validatePoint(pluginId, p)))).flatMap((list, n) =>
          list.map((i) => `points.${n}.${i.path.join('.')}: ${i.message}`),
        ),
      ];
      return issues.length
        ? { status: 'INVALID_SETTINGS' as const, detail: issues.join('; ').slice(0, 512) }
        : { status: 'OK' as const };
    },
    /**
     * Sends a relay command through the meter's plugin, ahead of scheduled reads on its line, and
     * records what came of it as a meter event (RELAY_TRIPPED, RELAY_PERMITTED, or
     * RELAY_COMMAND_FAILED when the meter refused or did not answer) with who asked. Never throws.
     */
    async controlRelay(meterId: number, command: RelayCommand, requestedBy?: number): Promise<RelayOutcome> {
      const target = await targetOf(meterId);
      if (!target) return { status: 'NOT_COLLECTED', detail: 'the meter is not under automatic collection' };
      const plugin = host.list().find((p) => p.id === target.pluginId && p.status === 'ready');
      if (!plugin?.description?.capabilities?.relayControl)
        return { status: 'UNSUPPORTED', detail: `collector plugin "${target.pluginId}" has no relay control` };
      let outcome: RelayOutcome;
      try {
        const result = await runtime.controlRelay(target, command);
        outcome = result
          ? relayOutcome(result)
          : { status: 'UNSUPPORTED', detail: `collector plugin "${target.pluginId}" has no relay control` };
      } catch (e) {
        // Not reached (refused, timed out, cut off): whether the relay switched is unknown.
        outcome = { status: 'FAILED', detail: e instanceof Error ? e.message : String(e) };
      }
      if (outcome.status !== 'UNSUPPORTED') {
        const type =
          outcome.status !== 'DONE'
            ? ('RELAY_COMMAND_FAILED' as const)
            : command === 'TRIP'
              ? ('RELAY_TRIPPED' as const)
              : ('RELAY_PERMITTED' as const);
        await meterEvents
          .recordCommand(meterId, type, {
            command,
            status: outcome.status,
            ...(outcome.detail ? { detail: outcome.detail.slice(0, 255) } : {}),
            ...(requestedBy === undefined ? {} : { requestedBy }),
          })
          .catch((e: unknown) => logger.warn({ err: e, meterId }, 'recording a relay command failed'));
      }
      logger.info({ meterId, command, status: outcome.status, requestedBy }, 'relay command');
      return outcome;
    },
    /** On-demand read, booked as an ON_DEMAND task (who asked, whether the meter answered). */
    async readNow(meterId: number, requestedBy?: number) {
      const target = await targetOf(meterId);
      if (!target) return null;
      let values: PointValue[] = [];
      let error: string | undefined;
      try {
        values = await runtime.collect(target, { urgent: true, events: true });
        if (!values.some((v) => v.quality !== 'bad')) error = values.find((v) => v.reason)?.reason ?? 'no usable value';
      } catch (e) {
        // The meter or its line did not answer (refused, timed out, cut off): that is the outcome
        // of the read, not a fault of the server. Every point is a bad value with the reason, as
        // when a single point fails; a permanent failure says its kind ("misconfigured: ...").
        error = failureOf(e).reason;
        const at = new Date();
        values = target.points.map((p) => badValue(p.id, error!, at));
      } finally {
        await bookOnDemand(sql, meterId, requestedBy, error).catch((e: unknown) =>
          logger.warn({ err: e }, 'recording an on-demand read failed'),
        );
      }
      const registerOf = new Map(target.points.map((p) => [p.id, p.register]));
      return values.map((v) => ({
        register: registerOf.get(v.pointId) ?? v.pointId,
        value: v.value,
        quality: v.quality,
        reason: v.reason,
        measuredAt: v.measuredAt,
      }));
    },
  };

  return {
    port,
    ingestion,
    start() {
      ingestion.start();
      runtime.start();
      push.start();
      // Hourly; the first look a minute after start, when the first reads are in.
      watchTimer = setTimeout(function tick() {
        runWatch();
        watchTimer = setTimeout(tick, 3_600_000).unref();
      }, 60_000).unref();
    },
    async stop() {
      clearTimeout(watchTimer);
      await Promise.all([runtime.stop(), push.stop()]);
      await ingestion.stop();
    },
  };
}

/** A plugin's relay result as the port reports it. */
function relayOutcome(result: RelayResult): RelayOutcome {
  switch (result.status) {
    case 'confirmed':
      return { status: 'DONE', ...(result.state ? { detail: `relay ${result.state}` } : {}) };
    case 'refused':
      return { status: 'REFUSED', detail: result.reason };
    default:
      return { status: 'FAILED', detail: result.reason };
  }
}

/** One ON_DEMAND task row per on-demand read, finished at once, with the failure as a gave-up retry. */
async function bookOnDemand(sql: SqlExecutor, meterId: number, requestedBy: number | undefined, error?: string) {
  const [task] = await sql.execute<{ id: string | number }>(
    `insert into collection_task (kind, slot, org_unit_id, meters, succeeded, gave_up, status, finished_at, requested_by_id)
     select 'ON_DEMAND', now(), m.org_unit_id, 1, ?, ?, ?, now(), ? from meter m where m.id = ?
     returning id`,
    [error ? 0 : 1, error ? 1 : 0, error ? 'INCOMPLETE' : 'COMPLETED', requestedBy ?? null, meterId],
  );
  if (task && error)
    await sql.execute(
      `insert into collection_retry (task_id, meter_id, status, attempts, last_error) values (?, ?, 'GAVE_UP', 1, ?)`,
      [task.id, meterId, error.slice(0, 255)],
    );
}
