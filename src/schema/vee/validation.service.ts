import type { EntityManager } from '@mikro-orm/postgresql';
import { addDays } from '../../billing/local-days.js';
import { validateDailyValues } from '../../billing/vee-rules.js';
import { Reading } from '../../orm/entities/index.js';
import { pgArray } from '../../shared/pg-array.js';
import { qualityOf, ReadingFlag, rulesOf, VEE_RULES, type VeeRuleName } from '../../shared/reading-flags.js';
import type { Context } from '../common/index.js';
import { chunks, dailyValuesOf, loadReadings, resolveRange } from './daily-values.js';
import { meterContexts } from './rule-sets.service.js';
import { groupBy } from '../../shared/group-by.js';

/** Flags validation leaves as it found them: they come from ingestion's checks. */
const KEPT_FLAGS = ReadingFlag.IMPLAUSIBLE_JUMP;
const METERS_PER_CHUNK = 100;
/** Suspect readings a validation run returns (the counts cover all of them). */
export const SUSPECT_LIST_SIZE = 50;
const HOUR_MS = 3_600_000;

export interface ValidationOutcome {
  meters: number;
  checked: number;
  changed: number;
  counts: Map<VeeRuleName, number>;
  /** Not GOOD after validation, by time. */
  suspect: { id: string; measuredAt: Date }[];
}

/** Instants that surely contain the local midnights of [from, to] in any time zone (offsets span -12h..+14h). */
const around = (from: string, to: string) => ({
  start: new Date(Date.parse(`${from}T00:00:00Z`) - 15 * HOUR_MS),
  end: new Date(Date.parse(`${addDays(to, 1)}T00:00:00Z`) + 15 * HOUR_MS),
});

/**
 * Applies each meter's rules to its daily values of [from, to] (with the history the rules need
 * before `from`) and stores the flags and quality of the values of the range: SUSPECT for a failed
 * rule, BAD for a register decrease. Running it again changes nothing (it recomputes from values).
 */
export async function validateMeters(
  em: EntityManager,
  meterIds: readonly number[],
  from: string,
  to: string,
  defaultTimeZone: string,
): Promise<ValidationOutcome> {
  const outcome: ValidationOutcome = {
    meters: meterIds.length,
    checked: 0,
    changed: 0,
    counts: new Map(VEE_RULES.map((r) => [r, 0])),
    suspect: [],
  };
  for (const chunk of chunks(meterIds, METERS_PER_CHUNK)) {
    const { facts, rules, zones } = await meterContexts(em, chunk, defaultTimeZone);
    const lookback = Math.max(...rules.map((r) => Math.max(r.params.historyDays, r.params.zeroDays))) + 1;
    const { start, end } = around(addDays(from, -lookback), to);
    const readings = await loadReadings(
      em,
      facts.map((f) => f.id),
      start,
      end,
    );
    const byMeter = groupBy(readings, (r) => r.meterId);
    const updates: { id: string; flags: number; quality: string }[] = [];
    facts.forEach((meter, i) => {
      const own = byMeter.get(meter.id) ?? [];
      const byId = new Map(own.map((r) => [r.id, r]));
      const days = dailyValuesOf(own, zones[i]!);
      const flags = validateDailyValues(days, meter, rules[i]!.params, rules[i]!.enabledRules);
      for (const day of days) {
        if (day.date < from || day.date > to) continue;
        for (const value of [day.total, ...day.bands, day.maxDemand]) {
          if (!value) continue;
          const stored = byId.get(value.id)!;
          const next = (stored.flags & KEPT_FLAGS) | (flags.get(value.id) ?? 0);
          const quality = qualityOf(next);
          outcome.checked++;
          for (const rule of rulesOf(next)) outcome.counts.set(rule, outcome.counts.get(rule)! + 1);
          if (quality !== 'GOOD') outcome.suspect.push({ id: stored.id, measuredAt: stored.measuredAt });
          if (next !== stored.flags || quality !== stored.quality)
            updates.push({ id: stored.id, flags: next, quality });
        }
      }
    });
    for (const batch of chunks(updates, 5000)) {
      await em.getConnection().execute(
        `update reading r set flags = x.f, quality = x.q
           from unnest(?::bigint[], ?::smallint[], ?::text[]) as x(id, f, q)
          where r.id = x.id`,
        [pgArray(batch.map((u) => u.id)), pgArray(batch.map((u) => u.flags)), pgArray(batch.map((u) => u.quality))],
        'run',
        em.getTransactionContext(),
      );
    }
    outcome.changed += updates.length;
  }
  outcome.suspect.sort((a, b) => a.measuredAt.getTime() - b.measuredAt.getTime() || a.id.localeCompare(b.id));
  return outcome;
}

/** The validateReadings mutation: the meters under a unit in the caller's scope, a bounded range. */
export async function validateReadings(ctx: Context, input: unknown) {
  const range = await resolveRange(ctx, input);
  const outcome = await validateMeters(ctx.em, range.meterIds, range.from, range.to, ctx.config.defaultTimeZone);
  const firstIds = outcome.suspect.slice(0, SUSPECT_LIST_SIZE).map((s) => s.id);
  const suspect = firstIds.length ? await ctx.em.find(Reading, { id: { $in: firstIds } }, { refresh: true }) : [];
  const order = new Map(firstIds.map((id, i) => [id, i]));
  suspect.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return {
    meters: outcome.meters,
    checked: outcome.checked,
    changed: outcome.changed,
    counts: [...outcome.counts].map(([rule, count]) => ({ rule, count })),
    suspectCount: outcome.suspect.length,
    suspectReadings: suspect,
  };
}
