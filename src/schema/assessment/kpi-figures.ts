import type { EntityManager } from '@mikro-orm/postgresql';
import type { HazardCounts, TrainingCounts } from '../../billing/kpis.js';
import { Dec } from '../../shared/decimal.js';
import { pgArray } from '../../shared/pg-array.js';
import { escapeLike } from '../common/index.js';

/**
 * The counts behind the KPIs (docs/kpis.md), straight from the tables: each figure is one
 * set-based statement for the unit and one, grouped by person, for all the people of a report,
 * whatever the number of meters, orders or people. The rates are made of them by kpiRate.
 */

/** What a report counts over: a unit's subtree and a period of local days. */
export interface KpiScope {
  /** Materialised path of the unit; its subtree is every path under it. */
  path: string;
  /** The local dates [from, to) and their instants in the unit's time zone. */
  from: string;
  to: string;
  start: Date;
  end: Date;
  /** The local midnight of each day of the period: when each day's frozen reading is taken. */
  frozenAt: readonly Date[];
  /** kWh: a check reading within it of the automatic value is accurate. */
  toleranceKwh: string;
}

export interface Counts {
  numerator: number;
  denominator: number;
}

/** What is counted for people: the work they were given or did, their hazards and training. */
export interface PersonCounts {
  timeliness: Counts;
  closure: Counts;
  checkReading: Counts;
  hazards: HazardCounts;
  training: TrainingCounts;
}

/** ...and for a unit, the station-level figures besides. */
export interface UnitCounts extends PersonCounts {
  collection: Counts;
  coverage: Counts;
  overdueVerification: number;
}

const under = (scope: KpiScope) => `${escapeLike(scope.path)}%`;
const int = (v: unknown) => Number(v ?? 0);
const counts = (row: { numerator?: unknown; denominator?: unknown } | undefined): Counts => ({
  numerator: int(row?.numerator),
  denominator: int(row?.denominator),
});
const NONE: Counts = { numerator: 0, denominator: 0 };

/** A work order that was closed with a cancel reason never had to be done. */
const NOT_CANCELLED = `(w.closed_at is null or w.cancel_reason is null)`;
/** Approved by the end of the period (an order closed without cancelling was approved first). */
const APPROVED_BY_END = `w.status in ('APPROVED', 'CLOSED') and w.cancel_reason is null and w.reviewed_at < ?`;
/** The frozen value of a day was collected: read automatically (and perhaps edited since). */
const COLLECTED = `exists (select 1 from reading r
   where r.meter_id = m.id and r.register = 'FORWARD_ACTIVE_TOTAL' and r.measured_at = d.at
     and (r.source = 'AUTOMATIC'
          or exists (select 1 from reading_version v where v.reading_id = r.id and v.source = 'AUTOMATIC')))`;

type Row = Record<string, unknown>;
const run = (em: EntityManager, sql: string, params: unknown[]) =>
  em.getConnection().execute<Row[]>(sql, params as never[]);

/**
 * Collection success: meter-days with a collected frozen reading over meter-days of meters
 * installed and under automatic collection (a meter-day: a meter installed at a day's midnight).
 * Coverage: installed meters under collection over installed meters at the period's end, and the
 * installed meters whose periodic verification was due before the period ended.
 */
async function meterCounts(em: EntityManager, scope: KpiScope) {
  const [days] = await run(
    em,
    `select count(*)::int as denominator, count(*) filter (where ${COLLECTED})::int as numerator
       from meter m
       join org_unit o on o.id = m.org_unit_id
       cross join unnest(?::timestamptz[]) as d(at)
      where o.path like ?
        and exists (select 1 from meter_collection c where c.meter_id = m.id)
        and m.installed_at <= d.at and (m.removed_at is null or m.removed_at > d.at)`,
    [pgArray(scope.frozenAt.map((d) => d.toISOString())), under(scope)],
  );
  const [installed] = await run(
    em,
    `select count(*)::int as denominator,
            count(*) filter (where exists (select 1 from meter_collection c where c.meter_id = m.id))::int as numerator,
            count(*) filter (where m.next_verification_date < ?::date)::int as overdue
       from meter m
       join org_unit o on o.id = m.org_unit_id
      where o.path like ? and m.installed_at <= ? and (m.removed_at is null or m.removed_at > ?)`,
    [scope.to, under(scope), scope.end, scope.end],
  );
  return { collection: counts(days), coverage: counts(installed), overdueVerification: int(installed?.overdue) };
}

/**
 * The figures of people, one statement per figure for all of them, grouped by person (or, with
 * `userIds` null, the unit's figures as one group).
 */
async function grouped(em: EntityManager, scope: KpiScope, userIds: readonly number[] | null) {
  const by = (column: string) => (userIds ? `${column} as user_id` : `0 as user_id`);
  const group = (column: string) => (userIds ? `and ${column} = any(?::int[]) group by ${column}` : '');
  const people = userIds ? [pgArray(userIds)] : [];
  const [timeliness, closure, checkReading, hazards, training] = await Promise.all([
    // Orders due in the period; on time: submitted at or before their due time.
    run(
      em,
      `select ${by('a.user_id')}, count(*)::int as denominator,
              count(*) filter (where w.submitted_at is not null and w.submitted_at <= w.due_at)::int as numerator
         from work_order w
         join org_unit o on o.id = w.org_unit_id
         ${userIds ? 'join work_order_assignee a on a.work_order_id = w.id' : ''}
        where o.path like ? and w.due_at >= ? and w.due_at < ? and ${NOT_CANCELLED}
        ${group('a.user_id')}`,
      [under(scope), scope.start, scope.end, ...people],
    ),
    // A unit: its meters' alarms raised in the period, closed or cleared by its end. A person:
    // the ALARM_FOLLOW_UP orders given to them due in the period, approved by its end.
    userIds
      ? run(
          em,
          `select a.user_id, count(*)::int as denominator,
                  count(*) filter (where ${APPROVED_BY_END})::int as numerator
             from work_order w
             join org_unit o on o.id = w.org_unit_id
             join work_order_assignee a on a.work_order_id = w.id
            where o.path like ? and w.kind = 'ALARM_FOLLOW_UP' and w.due_at >= ? and w.due_at < ? and ${NOT_CANCELLED}
              and a.user_id = any(?::int[])
            group by a.user_id`,
          [scope.end, under(scope), scope.start, scope.end, ...people],
        )
      : run(
          em,
          `select 0 as user_id, count(*)::int as denominator,
                  count(*) filter (where (x.status = 'CLOSED' and x.closed_at < ?)
                                      or (x.status = 'CLEARED' and x.cleared_at < ?))::int as numerator
             from alarm x
             join org_unit o on o.id = x.org_unit_id
            where o.path like ? and x.meter_id is not null and x.first_at >= ? and x.first_at < ?`,
          [scope.end, scope.end, under(scope), scope.start, scope.end],
        ),
    // Stops of periodic check readings visited in the period with a difference; accurate: within
    // the tolerance either way.
    run(
      em,
      `select ${by('s.visited_by_id')}, count(*)::int as denominator,
              count(*) filter (where abs(s.difference) <= ?::numeric)::int as numerator
         from work_order_stop s
         join work_order w on w.id = s.work_order_id
         join org_unit o on o.id = w.org_unit_id
        where o.path like ? and w.kind = 'PERIODIC_CHECK_READING' and s.status = 'VISITED'
          and s.difference is not null and s.visited_at >= ? and s.visited_at < ?
        ${group('s.visited_by_id')}`,
      [scope.toleranceKwh, under(scope), scope.start, scope.end, ...people],
    ),
    // Hazards reported in the period; points of the verified ones.
    run(
      em,
      `select ${by('h.reported_by_id')}, count(*)::int as reported,
              count(*) filter (where h.status = 'VERIFIED')::int as verified,
              coalesce(sum(h.points) filter (where h.status = 'VERIFIED'), 0)::int as points
         from hazard_report h
         join org_unit o on o.id = h.org_unit_id
        where o.path like ? and h.reported_at >= ? and h.reported_at < ?
        ${group('h.reported_by_id')}`,
      [under(scope), scope.start, scope.end, ...people],
    ),
    // Courses completed (PASSED or ATTENDED) or failed on a day of the period, by the unit's staff.
    run(
      em,
      `select ${by('t.user_id')},
              count(*) filter (where t.result in ('PASSED', 'ATTENDED'))::int as completed,
              count(*) filter (where t.result = 'FAILED')::int as failed,
              coalesce(sum(t.hours) filter (where t.result in ('PASSED', 'ATTENDED')), 0)::text as hours
         from training_record t
         join app_user u on u.id = t.user_id
         join org_unit o on o.id = u.org_unit_id
        where o.path like ? and t.completed_on >= ?::date and t.completed_on < ?::date
        ${group('t.user_id')}`,
      [under(scope), scope.from, scope.to, ...people],
    ),
  ]);
  const keyed = (rows: Row[]) => new Map(rows.map((r) => [int(r.user_id), r]));
  return {
    timeliness: keyed(timeliness),
    closure: keyed(closure),
    checkReading: keyed(checkReading),
    hazards: keyed(hazards),
    training: keyed(training),
  };
}

function personCounts(figures: Awaited<ReturnType<typeof grouped>>, key: number): PersonCounts {
  const hazard = figures.hazards.get(key);
  const training = figures.training.get(key);
  return {
    timeliness: figures.timeliness.has(key) ? counts(figures.timeliness.get(key)) : NONE,
    closure: figures.closure.has(key) ? counts(figures.closure.get(key)) : NONE,
    checkReading: figures.checkReading.has(key) ? counts(figures.checkReading.get(key)) : NONE,
    hazards: { reported: int(hazard?.reported), verified: int(hazard?.verified), points: int(hazard?.points) },
    training: {
      completed: int(training?.completed),
      failed: int(training?.failed),
      hours: new Dec(String(training?.hours ?? '0')).toFixed(),
    },
  };
}

/** The unit's counts (the line loss qualification comes from lineLossOfAreas, not from here). */
export async function unitCounts(em: EntityManager, scope: KpiScope): Promise<UnitCounts> {
  const [meters, figures] = await Promise.all([meterCounts(em, scope), grouped(em, scope, null)]);
  return { ...meters, ...personCounts(figures, 0) };
}

/** Each person's counts within the unit's subtree, by user id; people with nothing count zeros. */
export async function peopleCounts(
  em: EntityManager,
  scope: KpiScope,
  userIds: readonly number[],
): Promise<Map<number, PersonCounts>> {
  if (!userIds.length) return new Map();
  const figures = await grouped(em, scope, userIds);
  return new Map(userIds.map((id) => [id, personCounts(figures, id)]));
}
