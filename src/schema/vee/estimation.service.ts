import type { EntityManager } from '@mikro-orm/postgresql';
import { estimateMissingDays, type KnownDay, type MissingDay } from '../../billing/estimation.js';
import { addDays, datesIn, localMidnight } from '../../billing/local-days.js';
import {
  EstimationMethod,
  Reading,
  ReadingQuality,
  ReadingSource,
  RegisterCode,
  RetryStatus,
} from '../../orm/entities/index.js';
import { pgArray } from '../../shared/pg-array.js';
import type { Context } from '../common/index.js';
import { publishReadingsCorrected } from '../../shared/events.js';
import { BAND_REGISTERS, chunks, dailyValuesOf, loadReadings, resolveRange } from './daily-values.js';
import { meterContexts } from './rule-sets.service.js';
import { groupBy } from '../../shared/group-by.js';

const METERS_PER_CHUNK = 100;
/** History before the range for like days and averages, and values after it to close a gap. */
const HISTORY_DAYS = 63;
const AHEAD_DAYS = 31;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
export const ESTIMATE_LIST_SIZE = 50;

/**
 * Which missing midnights may be estimated: re-collection gave up on them (a GAVE_UP retry of a
 * task whose slot is that midnight), or no re-collection is pending for them and they are older
 * than `estimateAfterDays` (a meter that was never retried at all, e.g. collection was down).
 * A midnight with a PENDING retry is never estimated: re-collection may still bring the value.
 */
async function retryStates(em: EntityManager, meterIds: number[], start: Date, end: Date) {
  if (!meterIds.length) return new Map<string, RetryStatus[]>();
  const rows: { meter_id: number; slot: Date | string; status: RetryStatus }[] = await em.getConnection().execute(
    `select r.meter_id, t.slot, r.status from collection_retry r join collection_task t on t.id = r.task_id
        where r.meter_id in (${meterIds.map(() => '?').join(',')}) and t.slot >= ? and t.slot < ?
          and r.status in (?, ?)`,
    [...meterIds, start, end, RetryStatus.GAVE_UP, RetryStatus.PENDING],
    'all',
    em.getTransactionContext(),
  );
  const states = new Map<string, RetryStatus[]>();
  for (const [key, group] of groupBy(rows, (r) => `${r.meter_id}@${new Date(r.slot).getTime()}`))
    states.set(
      key,
      group.map((r) => r.status),
    );
  return states;
}

export interface EstimationOutcome {
  written: { id: string; meterId: number; measuredAt: Date }[];
  methods: Map<EstimationMethod, number>;
  skipped: number;
}

/** Fills the eligible missing daily values of [from, to] of some meters; returns what it wrote. */
export async function estimateMeters(
  em: EntityManager,
  meterIds: readonly number[],
  from: string,
  to: string,
  defaultTimeZone: string,
  now = new Date(),
): Promise<EstimationOutcome> {
  const outcome: EstimationOutcome = { written: [], methods: new Map(), skipped: 0 };
  for (const chunk of chunks(meterIds, METERS_PER_CHUNK)) {
    const { facts, rules, zones } = await meterContexts(em, chunk, defaultTimeZone);
    const start = new Date(Date.parse(`${addDays(from, -HISTORY_DAYS)}T00:00:00Z`) - 15 * HOUR_MS);
    const end = new Date(Date.parse(`${addDays(to, AHEAD_DAYS)}T00:00:00Z`) + 15 * HOUR_MS);
    const registers = [RegisterCode.FORWARD_ACTIVE_TOTAL, ...BAND_REGISTERS];
    const readings = await loadReadings(em, chunk, start, end, registers);
    const byMeter = groupBy(readings, (r) => r.meterId);
    const retries = await retryStates(em, chunk, start, end);

    const rows: { meterId: number; register: RegisterCode; value: string; at: Date; method: EstimationMethod }[] = [];
    facts.forEach((meter, i) => {
      const zone = zones[i]!;
      const params = rules[i]!.params;
      const days = dailyValuesOf(byMeter.get(meter.id) ?? [], zone);
      const present = new Set(days.filter((d) => d.total).map((d) => d.date));
      // Anchors are actual values: estimates are not extrapolated from, nor are values found BAD.
      const sourceOf = new Map((byMeter.get(meter.id) ?? []).map((r) => [r.id, r]));
      const actual = (id: string | undefined) => {
        const r = id ? sourceOf.get(id) : undefined;
        return r && r.source !== ReadingSource.ESTIMATED && r.quality !== ReadingQuality.BAD ? r : undefined;
      };
      const known: KnownDay[] = days.flatMap((d) => {
        const total = actual(d.total?.id);
        if (!total) return [];
        const bands = d.bands.map((b) => actual(b?.id)?.value);
        return [
          {
            date: d.date,
            midnight: d.midnight,
            total: total.value,
            ...(bands.every(Boolean) ? { bands: bands as string[] } : {}),
          },
        ];
      });
      const missing: MissingDay[] = [];
      for (const date of [...datesIn(from, to), to]) {
        if (present.has(date)) continue;
        const midnight = localMidnight(date, zone);
        if (midnight > now || (meter.installedAt && midnight < meter.installedAt)) continue;
        const states = retries.get(`${meter.id}@${midnight.getTime()}`) ?? [];
        const gaveUp = states.includes(RetryStatus.GAVE_UP);
        const pending = states.includes(RetryStatus.PENDING);
        const oldEnough = now.getTime() - midnight.getTime() >= params.estimateAfterDays * DAY_MS;
        if (gaveUp || (!pending && oldEnough)) missing.push({ date, midnight });
        else outcome.skipped++;
      }
      if (!missing.length) return;
      const estimates = estimateMissingDays(known, missing, { interpolateMaxDays: params.interpolateMaxDays });
      outcome.skipped += missing.length - estimates.length;
      for (const e of estimates) {
        const method = e.method as EstimationMethod;
        outcome.methods.set(method, (outcome.methods.get(method) ?? 0) + 1);
        rows.push({
          meterId: meter.id,
          register: RegisterCode.FORWARD_ACTIVE_TOTAL,
          value: e.total,
          at: e.midnight,
          method,
        });
        e.bands?.forEach((value, b) =>
          rows.push({ meterId: meter.id, register: BAND_REGISTERS[b]!, value, at: e.midnight, method }),
        );
      }
    });
    for (const batch of chunks(rows, 5000)) {
      // A value that arrived meanwhile wins: estimates never overwrite anything.
      const inserted: { id: string | number; meter_id: number; measured_at: Date | string }[] = await em
        .getConnection()
        .execute(
          `insert into reading (meter_id, register, value, measured_at, received_at, source, quality, flags, estimation_method)
           select m, r, v, t, now(), ?, ?, 0, e
             from unnest(?::int[], ?::text[], ?::numeric[], ?::timestamptz[], ?::text[]) as x(m, r, v, t, e)
           on conflict (meter_id, register, measured_at) do nothing
           returning id, meter_id, measured_at`,
          [
            ReadingSource.ESTIMATED,
            ReadingQuality.GOOD,
            pgArray(batch.map((r) => r.meterId)),
            pgArray(batch.map((r) => r.register)),
            pgArray(batch.map((r) => r.value)),
            pgArray(batch.map((r) => r.at.toISOString())),
            pgArray(batch.map((r) => r.method)),
          ],
          'all',
          em.getTransactionContext(),
        );
      for (const r of inserted)
        outcome.written.push({ id: String(r.id), meterId: Number(r.meter_id), measuredAt: new Date(r.measured_at) });
    }
  }
  outcome.written.sort((a, b) => a.measuredAt.getTime() - b.measuredAt.getTime() || a.id.localeCompare(b.id));
  return outcome;
}

/** The estimateReadings mutation. */
export async function estimateReadings(ctx: Context, input: unknown) {
  const range = await resolveRange(ctx, input);
  const outcome = await ctx.em.transactional((tx) =>
    estimateMeters(tx, range.meterIds, range.from, range.to, ctx.config.defaultTimeZone),
  );
  publishReadingsCorrected(ctx.events, outcome.written);
  const firstIds = outcome.written.slice(0, ESTIMATE_LIST_SIZE).map((w) => w.id);
  const readings = firstIds.length ? await ctx.em.find(Reading, { id: { $in: firstIds } }) : [];
  const order = new Map(firstIds.map((id, i) => [id, i]));
  readings.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return {
    estimated: outcome.written.length,
    methods: [...outcome.methods].map(([method, count]) => ({ method, count })),
    skipped: outcome.skipped,
    readings,
  };
}
