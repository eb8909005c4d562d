import { Dec } from '../shared/decimal.js';
import { addDays, daysBetween } from './local-days.js';

/**
 * Estimation of missing daily register values (the E of VEE). Pure: the schema module decides
 * which days may be estimated (re-collection failed) and stores the results as readings with
 * source ESTIMATED and the method.
 *
 * - A gap of at most `interpolateMaxDays` missing days between two actual values: linear
 *   interpolation by time (a 23- or 25-hour day takes its share of hours, not of days).
 * - A longer gap between two actual values: like-day history. Each day of the gap uses the mean
 *   consumption of the 3 nearest same weekdays with known consumption, accumulated from the value
 *   before the gap; the profile is then scaled so that the gap's energy is exactly what the two
 *   actual values say (so no estimate passes the next actual value).
 * - A trailing gap (no later actual value): the average daily use of the last `averageDays` days.
 * - TOU bands: the total's increase split in the proportions of the bands' increase over the same
 *   history, the last band taking the rounding so that the bands add up to the total.
 * Nothing is estimated without an earlier actual value, or across a decrease or rollover.
 */

export type EstimationMethod = 'LINEAR_INTERPOLATION' | 'LIKE_DAY' | 'AVERAGE_DAILY_USE';

export interface KnownDay {
  date: string;
  midnight: Date;
  /** Total register value at that midnight. */
  total: string;
  /** T1..T4 at that midnight, when all four are known. */
  bands?: string[];
}

export interface MissingDay {
  date: string;
  midnight: Date;
}

export interface DayEstimate extends MissingDay {
  total: string;
  /** T1..T4, when the value before the gap had all four and the history has band energy. */
  bands?: string[];
  method: EstimationMethod;
}

export interface EstimationParams {
  interpolateMaxDays: number;
  /** Same weekdays averaged by the like-day method. */
  likeDays?: number;
  /** Days of history for the average daily use (and for band proportions). */
  averageDays?: number;
}

const SCALE = 4;
const round = (d: Dec) => d.toDecimalPlaces(SCALE, Dec.ROUND_HALF_UP);

export function estimateMissingDays(
  known: readonly KnownDay[],
  missing: readonly MissingDay[],
  params: EstimationParams,
): DayEstimate[] {
  const likeDays = params.likeDays ?? 3;
  const averageDays = params.averageDays ?? 30;
  const days = [...known].sort((a, b) => a.date.localeCompare(b.date));
  const byDate = new Map(days.map((d) => [d.date, d]));
  // Known consumption of day D: value(D + 1) - value(D), both actual, not a decrease.
  const consumption = new Map<string, Dec>();
  for (const day of days) {
    const next = byDate.get(addDays(day.date, 1));
    if (next && new Dec(next.total).gte(day.total)) consumption.set(day.date, new Dec(next.total).sub(day.total));
  }

  const likeDay = (date: string): Dec | undefined => {
    const found: Dec[] = [];
    // Nearest first, before or after: one week away, then two, ... up to a year.
    for (let weeks = 1; weeks <= 52 && found.length < likeDays; weeks++) {
      for (const sign of [-1, 1]) {
        const c = consumption.get(addDays(date, sign * 7 * weeks));
        if (c && found.length < likeDays) found.push(c);
      }
    }
    if (!found.length) return undefined;
    return found.reduce((s, c) => s.add(c), new Dec(0)).div(found.length);
  };

  /** The actual day before a date and the history window ending there (for averages and band shares). */
  const history = (before: KnownDay) =>
    days.find((d) => d.date < before.date && daysBetween(d.date, before.date) <= averageDays);

  const results: DayEstimate[] = [];
  for (const target of [...missing].sort((a, b) => a.date.localeCompare(b.date))) {
    if (byDate.has(target.date)) continue; // never over an actual value
    const prev = [...days].reverse().find((d) => d.date < target.date);
    if (!prev) continue;
    const next = days.find((d) => d.date > target.date);
    const start = new Dec(prev.total);
    let total: Dec | undefined;
    let method: EstimationMethod;
    if (next) {
      const end = new Dec(next.total);
      if (end.lt(start)) continue;
      const gapDays = daysBetween(prev.date, next.date) - 1;
      const byTime = () =>
        start.add(
          end
            .sub(start)
            .mul(target.midnight.getTime() - prev.midnight.getTime())
            .div(next.midnight.getTime() - prev.midnight.getTime()),
        );
      if (gapDays <= params.interpolateMaxDays) {
        method = 'LINEAR_INTERPOLATION';
        total = byTime();
      } else {
        method = 'LIKE_DAY';
        const profile: Dec[] = [];
        for (let d = prev.date; d < next.date; d = addDays(d, 1)) {
          const c = likeDay(d);
          if (c === undefined) break;
          profile.push(c);
        }
        const sum = profile.reduce((s, c) => s.add(c), new Dec(0));
        if (profile.length !== gapDays + 1) continue; // no history for some day: leave the gap to an edit
        if (sum.isZero()) total = byTime();
        else {
          const until = daysBetween(prev.date, target.date);
          const used = profile.slice(0, until).reduce((s, c) => s.add(c), new Dec(0));
          total = start.add(end.sub(start).mul(used).div(sum));
        }
      }
    } else {
      method = 'AVERAGE_DAILY_USE';
      const first = history(prev);
      if (!first) continue;
      const perDay = start.sub(first.total).div(daysBetween(first.date, prev.date));
      if (perDay.isNegative()) continue;
      total = start.add(perDay.mul(daysBetween(prev.date, target.date)));
    }
    const value = round(total);
    const bands = bandsFor(prev, history(prev), value.sub(prev.total));
    results.push({ ...target, total: value.toFixed(), method, ...(bands ? { bands } : {}) });
  }
  return results;
}

/** The bands at the estimate: `increase` split in the proportions of the bands' increase since `first`. */
function bandsFor(prev: KnownDay, first: KnownDay | undefined, increase: Dec): string[] | undefined {
  if (!prev.bands || prev.bands.length !== 4 || !first?.bands || first.bands.length !== 4) return undefined;
  const grown = prev.bands.map((b, i) => new Dec(b).sub(first.bands![i]!));
  const sum = grown.reduce((s, g) => s.add(g), new Dec(0));
  if (grown.some((g) => g.isNegative()) || !sum.gt(0)) return undefined;
  const shares = grown.map((g, i) => (i < 3 ? round(increase.mul(g).div(sum)) : new Dec(0)));
  shares[3] = increase.sub(shares[0]!).sub(shares[1]!).sub(shares[2]!);
  return prev.bands.map((b, i) => new Dec(b).add(shares[i]!).toFixed());
}
