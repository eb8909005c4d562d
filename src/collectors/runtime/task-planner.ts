import { pgArray } from '../../shared/pg-array.js';
import type { SqlExecutor } from '../ingestion/readings.js';
import type { CollectionTarget, Job, JobResult, Planner } from './runtime.js';
import { dailySlot, inWindow, intervalSlot, localMinute, retryDelayMs } from './slots.js';

export interface PlannerOptions {
  /** Time zone of units that set none. */
  defaultTimeZone: string;
  /** Pause before the first re-collection attempt; doubles with each further attempt. */
  retryBaseMs: number;
  retryCapMs: number;
  /** Finished tasks older than this many days are deleted (checked hourly). */
  taskRetentionDays: number;
  /** Re-collection attempts taken per cycle at most (the oldest due first). */
  retryBatch?: number;
}

interface ScheduleRow {
  id: number;
  kind: 'INTERVAL' | 'DAILY_FROZEN';
  interval_minutes: number;
  window_start: string | null;
  window_end: string | null;
  max_attempts: number;
  read_events: boolean;
  channel_id: number | null;
  org_unit_id: number;
  path: string;
  time_zone: string | null;
}

interface RetryRow {
  id: string | number;
  task_id: string | number;
  meter_id: number;
  attempts: number;
  kind: 'INTERVAL' | 'DAILY_FROZEN' | 'ON_DEMAND';
  slot: Date | string;
  max_attempts: number | null;
}

/**
 * Turns schedules into collection tasks and failed reads into re-collection, in SQL:
 * - INTERVAL schedule: at the first cycle inside each slot a task row is created (the unique
 *   (schedule, slot) key makes that happen once, also with several server processes) and every
 *   meter of the group is read;
 * - DAILY_FROZEN schedule: one task per local day; each cycle reads the meters whose reading
 *   window is open and whose frozen value for that midnight is not stored yet; the task ends when
 *   every meter has one or was given up, or when the day is over;
 * - a meter that fails gets a retry row; attempts follow with doubling pauses until one succeeds
 *   (RECOVERED) or the schedule's maxAttempts is spent (GAVE_UP). A permanent failure (the plugin
 *   said `misconfigured` or `unsupported`) gives up at once, with the reason as the last error.
 */
export class TaskPlanner implements Planner {
  /** Meters already handed out for a running daily task in this process (reads are in flight or being written). */
  private readonly issued = new Map<string, Set<number>>();
  private prunedAt = 0;

  constructor(
    private readonly db: SqlExecutor,
    private readonly targets: () => Promise<CollectionTarget[]>,
    private readonly options: PlannerOptions,
  ) {}

  async due(now: Date): Promise<Job[]> {
    if (now.getTime() - this.prunedAt >= 3_600_000) {
      this.prunedAt = now.getTime();
      await this.db.execute(`delete from collection_task where finished_at < ?`, [
        new Date(now.getTime() - this.options.taskRetentionDays * 86_400_000),
      ]);
      // A first pass interrupted by a stop is never booked: after an hour such a task is over.
      await this.db.execute(
        `update collection_task set status = 'INCOMPLETE', finished_at = now()
          where kind = 'INTERVAL' and status = 'RUNNING' and started_at < ?`,
        [new Date(now.getTime() - 3_600_000)],
      );
    }
    const schedules = await this.db.execute<ScheduleRow>(
      `select s.id, s.kind, s.interval_minutes, s.window_start, s.window_end, s.max_attempts, s.read_events, s.channel_id,
              o.id as org_unit_id, o.path,
              (select z.time_zone from org_unit z
                where o.path like z.path || '%' and z.time_zone is not null
                order by length(z.path) desc limit 1) as time_zone
         from collection_schedule s join org_unit o on o.id = s.org_unit_id
        where s.enabled
        order by s.id`,
      [],
    );
    const retries = await this.dueRetries(now);
    if (!schedules.length && !retries.length) return [];
    const targets = await this.targets();
    const byMeter = new Map(targets.map((t) => [t.meterId, t]));
    const jobs: Job[] = [];
    const taken = new Set<number>();
    // One read per meter and cycle. Slots first: a meter read for a new slot has its pending
    // re-collection in the next cycle; a meter under two schedules waits for the next cycle.
    const issued = new Map<string, number>();
    const fresh: string[] = [];
    for (const schedule of schedules) {
      const group = targets.filter(
        (t) =>
          t.group.orgPath.startsWith(schedule.path) &&
          (schedule.channel_id === null || t.group.channelId === Number(schedule.channel_id)),
      );
      const planned =
        schedule.kind === 'INTERVAL'
          ? await this.intervalJobs(schedule, group, now)
          : await this.frozenJobs(schedule, group, now);
      for (const task of new Set(planned.map((j) => j.taskId!))) if (schedule.kind === 'INTERVAL') fresh.push(task);
      for (const job of planned) {
        job.events = Boolean(schedule.read_events);
        if (taken.has(job.target.meterId)) {
          this.issuedFor(job.taskId!)?.delete(job.target.meterId);
          continue;
        }
        taken.add(job.target.meterId);
        jobs.push(job);
        issued.set(job.taskId!, (issued.get(job.taskId!) ?? 0) + 1);
      }
    }
    for (const r of retries) {
      const target = byMeter.get(Number(r.meter_id));
      if (!target || taken.has(target.meterId)) continue;
      taken.add(target.meterId);
      jobs.push({
        target,
        taskId: String(r.task_id),
        retryId: String(r.id),
        at: r.kind === 'DAILY_FROZEN' ? new Date(r.slot) : undefined,
      });
    }
    // A task counts the meters it actually read; a new slot that read none is complete at once.
    if (issued.size) {
      const ids = [...issued.keys()];
      await this.db.execute(
        `update collection_task t set meters = t.meters + x.n
           from unnest(?::bigint[], ?::int[]) as x(id, n) where t.id = x.id`,
        [pgArray(ids), pgArray(ids.map((id) => issued.get(id)!))],
      );
    }
    const empty = fresh.filter((id) => !issued.has(id));
    if (empty.length)
      await this.db.execute(
        `update collection_task set status = 'COMPLETED', finished_at = now() where id = any(?::bigint[])`,
        [pgArray(empty)],
      );
    return jobs;
  }

  private issuedFor(taskId: string) {
    for (const [key, set] of this.issued) if (key.endsWith(`:${taskId}`)) return set;
    return undefined;
  }

  private zoneOf(schedule: ScheduleRow) {
    return schedule.time_zone ?? this.options.defaultTimeZone;
  }

  /** Creates the task of the slot `now` is in; the process that creates it reads the group. */
  private async intervalJobs(schedule: ScheduleRow, group: CollectionTarget[], now: Date): Promise<Job[]> {
    const zone = this.zoneOf(schedule);
    const slot = intervalSlot(now, schedule.interval_minutes, zone);
    if (schedule.window_start && schedule.window_end) {
      if (!inWindow(localMinute(slot, zone), schedule.window_start, schedule.window_end)) return [];
    }
    const created = await this.db.execute<{ id: string | number }>(
      `insert into collection_task (schedule_id, kind, slot, org_unit_id, status, finished_at)
       values (?, 'INTERVAL', ?, ?, ?, ?)
       on conflict (schedule_id, slot) do nothing
       returning id`,
      [schedule.id, slot, schedule.org_unit_id, group.length ? 'RUNNING' : 'COMPLETED', group.length ? null : now],
    );
    const taskId = created[0] ? String(created[0].id) : undefined;
    if (!taskId) return [];
    return group.map((target) => ({ target, taskId }));
  }

  /** The day's task; meters whose reading window is open and whose frozen value is missing. */
  private async frozenJobs(schedule: ScheduleRow, group: CollectionTarget[], now: Date): Promise<Job[]> {
    const zone = this.zoneOf(schedule);
    const slot = dailySlot(now, zone);
    // Yesterday's task (or older) still running: the day is over, whatever was not read is missing.
    await this.db.execute(
      `update collection_task
          set status = case when retrying > 0 then 'RETRYING' when gave_up > 0 or succeeded < meters then 'INCOMPLETE' else 'COMPLETED' end,
              finished_at = case when retrying > 0 then null else now() end
        where schedule_id = ? and status = 'RUNNING' and slot < ?`,
      [schedule.id, slot],
    );
    await this.db.execute(
      `insert into collection_task (schedule_id, kind, slot, org_unit_id) values (?, 'DAILY_FROZEN', ?, ?)
       on conflict (schedule_id, slot) do nothing`,
      [schedule.id, slot, schedule.org_unit_id],
    );
    const [task] = await this.db.execute<{ id: string | number; status: string }>(
      `select id, status from collection_task where schedule_id = ? and slot = ?`,
      [schedule.id, slot],
    );
    if (!task || task.status !== 'RUNNING') return [];
    const taskId = String(task.id);
    for (const key of this.issued.keys())
      if (key !== taskId && key.startsWith(`${schedule.id}:`)) this.issued.delete(key);
    const issuedKey = `${schedule.id}:${taskId}`;
    const issued = this.issued.get(issuedKey) ?? new Set<number>();
    this.issued.set(issuedKey, issued);

    const ids = group.map((t) => t.meterId);
    const done = new Set(
      ids.length
        ? (
            await this.db.execute<{ meter_id: number }>(
              `select meter_id from reading
                where meter_id = any(?::int[]) and register = 'FORWARD_ACTIVE_TOTAL' and measured_at = ?
               union
               select meter_id from collection_retry where task_id = ?`,
              [pgArray(ids), slot, taskId],
            )
          ).map((r) => Number(r.meter_id))
        : [],
    );
    const missing = group.filter((t) => !done.has(t.meterId));
    if (!missing.length) {
      await this.db.execute(
        `update collection_task
            set status = case when retrying > 0 then 'RETRYING' when gave_up > 0 then 'INCOMPLETE' else 'COMPLETED' end,
                finished_at = case when retrying > 0 then null else now() end
          where id = ?`,
        [taskId],
      );
      this.issued.delete(issuedKey);
      return [];
    }
    const minute = localMinute(now, zone);
    const open = (t: CollectionTarget) => {
      const window =
        schedule.window_start && schedule.window_end
          ? { start: schedule.window_start, end: schedule.window_end }
          : (t.group.window ?? { start: '00:00', end: '00:00' });
      return inWindow(minute, window.start, window.end);
    };
    const jobs = missing
      .filter((t) => !issued.has(t.meterId) && open(t))
      .map((target) => ({ target, taskId, at: slot }));
    for (const job of jobs) issued.add(job.target.meterId);
    return jobs;
  }

  private dueRetries(now: Date) {
    return this.db.execute<RetryRow>(
      `select r.id, r.task_id, r.meter_id, r.attempts, t.kind, t.slot, s.max_attempts
         from collection_retry r
         join collection_task t on t.id = r.task_id
         left join collection_schedule s on s.id = t.schedule_id
        where r.status = 'PENDING' and r.next_attempt_at <= ?
        order by r.next_attempt_at
        limit ?`,
      [now, this.options.retryBatch ?? 1000],
    );
  }

  /** Books the results: counts on the tasks, retry rows for failures, recovered or given-up retries. */
  async record(results: JobResult[], now: Date): Promise<void> {
    if (!results.length) return;
    const firstTry = results.filter((r) => r.job.taskId && !r.job.retryId);
    const retried = results.filter((r) => r.job.retryId);

    // First attempts: successes are counted, failures get a retry row (or give up at once when the
    // schedule allows a single attempt).
    const maxOf = new Map<string, number>();
    if (firstTry.length) {
      const taskIds = [...new Set(firstTry.map((r) => r.job.taskId!))];
      for (const row of await this.db.execute<{ id: string | number; max_attempts: number | null }>(
        `select t.id, s.max_attempts from collection_task t left join collection_schedule s on s.id = t.schedule_id
          where t.id = any(?::bigint[])`,
        [pgArray(taskIds)],
      ))
        maxOf.set(String(row.id), Number(row.max_attempts ?? 1));
    }
    const retryRows = firstTry
      .filter((r) => !r.ok)
      .map((r) => {
        // A permanent failure is not retried: only a change of the meter's settings can mend it.
        const giveUp = r.permanent || (maxOf.get(r.job.taskId!) ?? 1) <= 1;
        return {
          task: r.job.taskId!,
          meter: r.job.target.meterId,
          status: giveUp ? 'GAVE_UP' : 'PENDING',
          next: giveUp ? null : new Date(now.getTime() + this.delay(1)).toISOString(),
          error: (r.error ?? 'failed').slice(0, 255),
        };
      });
    if (retryRows.length)
      await this.db.execute(
        `insert into collection_retry (task_id, meter_id, status, attempts, next_attempt_at, last_error)
         select t, m, s, 1, n, e from unnest(?::bigint[], ?::int[], ?::text[], ?::timestamptz[], ?::text[]) as x(t, m, s, n, e)
         on conflict (task_id, meter_id) do nothing`,
        [
          pgArray(retryRows.map((r) => r.task)),
          pgArray(retryRows.map((r) => r.meter)),
          pgArray(retryRows.map((r) => r.status)),
          pgArray(retryRows.map((r) => r.next)),
          pgArray(retryRows.map((r) => r.error)),
        ],
      );

    // Re-collection attempts: recovered, another pause, or given up.
    const current = new Map<string, { attempts: number; max_attempts: number | null }>();
    if (retried.length)
      for (const row of await this.db.execute<{ id: string | number; attempts: number; max_attempts: number | null }>(
        `select r.id, r.attempts, s.max_attempts from collection_retry r
           join collection_task t on t.id = r.task_id left join collection_schedule s on s.id = t.schedule_id
          where r.id = any(?::bigint[])`,
        [pgArray(retried.map((r) => r.job.retryId!))],
      ))
        current.set(String(row.id), row);
    const updates = retried.map((r) => {
      const row = current.get(r.job.retryId!);
      const attempts = Number(row?.attempts ?? 1) + 1;
      const status = r.ok
        ? 'RECOVERED'
        : r.permanent || attempts >= Number(row?.max_attempts ?? 1)
          ? 'GAVE_UP'
          : 'PENDING';
      return {
        id: r.job.retryId!,
        task: r.job.taskId!,
        attempts,
        status,
        next: status === 'PENDING' ? new Date(now.getTime() + this.delay(attempts)).toISOString() : null,
        error: r.ok ? null : (r.error ?? 'failed').slice(0, 255),
      };
    });
    if (updates.length)
      await this.db.execute(
        `update collection_retry r
            set attempts = x.a, status = x.s, next_attempt_at = x.n, last_error = coalesce(x.e, r.last_error), updated_at = now()
           from unnest(?::bigint[], ?::smallint[], ?::text[], ?::timestamptz[], ?::text[]) as x(id, a, s, n, e)
          where r.id = x.id and r.status = 'PENDING'`,
        [
          pgArray(updates.map((u) => u.id)),
          pgArray(updates.map((u) => u.attempts)),
          pgArray(updates.map((u) => u.status)),
          pgArray(updates.map((u) => u.next)),
          pgArray(updates.map((u) => u.error)),
        ],
      );

    // Counts per task, then the status that follows from them.
    const counts = new Map<string, { ok: number; retrying: number; gaveUp: number }>();
    const bump = (task: string, key: 'ok' | 'retrying' | 'gaveUp', by: number) => {
      const c = counts.get(task) ?? { ok: 0, retrying: 0, gaveUp: 0 };
      c[key] += by;
      counts.set(task, c);
    };
    for (const r of firstTry) if (r.ok) bump(r.job.taskId!, 'ok', 1);
    for (const r of retryRows) bump(r.task, r.status === 'PENDING' ? 'retrying' : 'gaveUp', 1);
    for (const u of updates) {
      if (u.status === 'RECOVERED') {
        bump(u.task, 'ok', 1);
        bump(u.task, 'retrying', -1);
      } else if (u.status === 'GAVE_UP') {
        bump(u.task, 'gaveUp', 1);
        bump(u.task, 'retrying', -1);
      }
    }
    if (!counts.size) return;
    const ids = [...counts.keys()];
    await this.db.execute(
      `update collection_task t
          set succeeded = t.succeeded + x.ok, retrying = greatest(0, t.retrying + x.r), gave_up = t.gave_up + x.g
         from unnest(?::bigint[], ?::int[], ?::int[], ?::int[]) as x(id, ok, r, g)
        where t.id = x.id`,
      [
        pgArray(ids),
        pgArray(ids.map((id) => counts.get(id)!.ok)),
        pgArray(ids.map((id) => counts.get(id)!.retrying)),
        pgArray(ids.map((id) => counts.get(id)!.gaveUp)),
      ],
    );
    // A daily task stays RUNNING while windows open; the rest settle as soon as nothing waits.
    await this.db.execute(
      `update collection_task
          set status = case when retrying > 0 then 'RETRYING' when gave_up > 0 then 'INCOMPLETE' else 'COMPLETED' end,
              finished_at = case when retrying > 0 then null else now() end
        where id = any(?::bigint[]) and (kind <> 'DAILY_FROZEN' or status <> 'RUNNING')
          and succeeded + retrying + gave_up >= meters`,
      [pgArray(ids)],
    );
  }

  private delay(attempts: number) {
    return retryDelayMs(attempts, this.options.retryBaseMs, this.options.retryCapMs);
  }
}
