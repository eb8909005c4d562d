import { Dec } from '../../shared/decimal.js';
import { isPlausibleRollover, registerSpan, toTenThousandths } from '../../shared/reading-flags.js';

/**
 * A periodic check reading (周期核抄) compares the value a person reads on the meter with the
 * value automatic collection holds for the same moment. Collected values rarely fall on the
 * moment of the visit: the automatic value is interpolated between the collected values around it.
 */

/** How far from the visit a collected value may be to stand for the automatic value. */
export const CHECK_WINDOW_MS = 48 * 3_600_000;

export interface CollectedValue {
  /** Exact decimal string. */
  value: string;
  measuredAt: Date;
}

/**
 * The automatic value at `at`, to 4 decimals:
 * - between the nearest collected value at or before `at` and the nearest after it, linearly in
 *   time, when both are within 48 h of `at` (across a rollover of a register of `registerDigits`);
 * - else the nearest value before, when within 48 h (a register holds its value until it moves);
 * - else null: there is nothing to compare with.
 * A fall from `before` to `after` that is no rollover cannot be interpolated: the value before stands.
 */
export function automaticValueAt(
  at: Date,
  before: CollectedValue | undefined,
  after: CollectedValue | undefined,
  registerDigits: number,
): string | null {
  const t = at.getTime();
  const usableBefore = before && before.measuredAt.getTime() <= t && t - before.measuredAt.getTime() <= CHECK_WINDOW_MS;
  if (!usableBefore) return null;
  const start = new Dec(before.value);
  const usableAfter = after && after.measuredAt.getTime() > t && after.measuredAt.getTime() - t <= CHECK_WINDOW_MS;
  if (!usableAfter || before.measuredAt.getTime() === t) return start.toFixed(4);
  const span = new Dec(10).pow(registerDigits);
  let delta = new Dec(after.value).minus(start);
  if (delta.isNegative()) {
    const rollover = isPlausibleRollover(
      toTenThousandths(before.value),
      toTenThousandths(after.value),
      registerSpan(registerDigits),
    );
    if (!rollover) return start.toFixed(4);
    delta = delta.plus(span);
  }
  const elapsed = t - before.measuredAt.getTime();
  const total = after.measuredAt.getTime() - before.measuredAt.getTime();
  let value = start.plus(delta.times(elapsed).dividedBy(total));
  if (value.gte(span)) value = value.minus(span);
  return value.toDecimalPlaces(4, Dec.ROUND_HALF_UP).toFixed(4);
}

/**
 * Field value minus automatic value, to 4 decimals; null without an automatic value. Across the
 * register's rollover (one side just below 10^digits, the other just above 0) the difference is
 * taken the short way round.
 */
export function checkDifference(
  fieldValue: string,
  automaticValue: string | null,
  registerDigits: number,
): string | null {
  if (automaticValue === null) return null;
  const span = new Dec(10).pow(registerDigits);
  let difference = new Dec(fieldValue).minus(automaticValue);
  if (difference.gt(span.dividedBy(2))) difference = difference.minus(span);
  else if (difference.lte(span.dividedBy(2).negated())) difference = difference.plus(span);
  return difference.toFixed(4);
}
