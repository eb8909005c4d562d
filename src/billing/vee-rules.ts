import { Dec } from '../shared/decimal.js';
import {
  isPlausibleRollover,
  ReadingFlag,
  registerSpan,
  toTenThousandths,
  type VeeRuleName,
} from '../shared/reading-flags.js';
import { addDays } from './local-days.js';

/**
 * Validation rules of VEE over one meter's daily values (the register values frozen at local
 * midnights). Pure: the schema module loads the values and stores the flags this returns.
 *
 * Conventions:
 * - The value of date D is the register at D's local midnight; the consumption of day D is
 *   value(D + 1) - value(D), known only when both are there (a gap has no per-day consumption).
 * - Consumption is compared in primary kWh (register difference x multiplier), as thresholds in
 *   kWh are meant; the TOU sum is compared on register values (the same multiplier on both sides).
 * - A value that failed REGISTER_DECREASE is skipped as "previous value" for the next one, so one
 *   bad value flags itself, not the good value after it.
 */

export interface VeeParams {
  /** SPIKE: a day's consumption above this many times the median of the history... */
  spikeFactor: string;
  /** ...and above this many kWh. */
  spikeMinKwh: string;
  /** SPIKE: days of history whose median is the reference. */
  historyDays: number;
  /** ZERO_CONSUMPTION: this many consecutive days without consumption. */
  zeroDays: number;
  /** TOU_SUM_MISMATCH: allowed |T1 + T2 + T3 + T4 - total|, register kWh. */
  touTolerance: string;
  /** CLOCK: allowed distance of a daily value's timestamp from its local midnight. */
  clockToleranceSeconds: number;
  /** DEMAND_OVER_CAPACITY: K in max demand > contracted capacity x K. */
  demandFactor: string;
  /** Estimation: gaps of at most this many days are interpolated, longer ones use like days. */
  interpolateMaxDays: number;
  /** Estimation: a missing day without a pending re-collection is estimated after this many days. */
  estimateAfterDays: number;
}

export const DEFAULT_VEE_PARAMS: Readonly<VeeParams> = Object.freeze({
  spikeFactor: '5',
  spikeMinKwh: '5',
  historyDays: 14,
  zeroDays: 3,
  touTolerance: '0.02',
  clockToleranceSeconds: 300,
  demandFactor: '1.2',
  interpolateMaxDays: 3,
  estimateAfterDays: 3,
});

/** The rules validation runs (IMPLAUSIBLE_JUMP belongs to ingestion and is kept as it was found). */
export const VALIDATION_RULES = [
  'REGISTER_DECREASE',
  'ROLLOVER',
  'SPIKE',
  'ZERO_CONSUMPTION',
  'TOU_SUM_MISMATCH',
  'CLOCK',
  'DEMAND_OVER_CAPACITY',
] as const satisfies readonly VeeRuleName[];
export type ValidationRule = (typeof VALIDATION_RULES)[number];

/** One stored value: its id is how results are returned. */
export interface RegisterValue {
  id: string;
  /** Exact decimal string, at most 4 decimals. */
  value: string;
  measuredAt: Date;
}

/** The values standing for one local midnight. */
export interface DailyValues {
  /** Local date (YYYY-MM-DD) whose midnight the values stand for; consecutive dates are consecutive days. */
  date: string;
  /** That local midnight as an instant. */
  midnight: Date;
  total?: RegisterValue;
  /** T1..T4 (index 0..3); a missing band is undefined. */
  bands: (RegisterValue | undefined)[];
  maxDemand?: RegisterValue;
}

export interface MeterValidationFacts {
  registerDigits: number;
  /** CT x PT. */
  multiplier: string;
  /** kVA; absent when the meter measures no customer with a contract. */
  contractedCapacity?: string;
}

/**
 * The rules each value fails: reading id -> bitmask of ReadingFlag (0 when it passes everything).
 * Every value of `days` gets an entry. Only `enabled` rules are applied. `days` may be in any order.
 */
export function validateDailyValues(
  days: readonly DailyValues[],
  meter: MeterValidationFacts,
  params: VeeParams,
  enabled: readonly ValidationRule[] = VALIDATION_RULES,
): Map<string, number> {
  const on = new Set<ValidationRule>(enabled);
  const sorted = [...days].sort((a, b) => a.midnight.getTime() - b.midnight.getTime());
  const flags = new Map<string, number>();
  const add = (value: RegisterValue | undefined, flag: number) => {
    if (value) flags.set(value.id, (flags.get(value.id) ?? 0) | flag);
  };
  for (const day of sorted) for (const v of [day.total, ...day.bands, day.maxDemand]) if (v) add(v, 0);

  const span = registerSpan(meter.registerDigits);
  const multiplier = new Dec(meter.multiplier);

  // Decrease and rollover, per cumulative register; the daily consumption of the total.
  const consumption = new Map<string, Dec>();
  const registers: ((d: DailyValues) => RegisterValue | undefined)[] = [
    (d) => d.total,
    ...[0, 1, 2, 3].map((i) => (d: DailyValues) => d.bands[i]),
  ];
  registers.forEach((pick, index) => {
    let previous: { date: string; value: bigint } | undefined;
    for (const day of sorted) {
      const current = pick(day);
      if (!current) continue;
      const value = toTenThousandths(current.value);
      if (previous) {
        let delta = value - previous.value;
        if (delta < 0n) {
          if (isPlausibleRollover(previous.value, value, span)) {
            if (on.has('ROLLOVER')) add(current, ReadingFlag.ROLLOVER);
            delta += span;
          } else {
            if (on.has('REGISTER_DECREASE')) add(current, ReadingFlag.REGISTER_DECREASE);
            continue;
          }
        }
        if (index === 0 && nextDay(previous.date) === day.date) {
          consumption.set(previous.date, new Dec(delta.toString()).div(10_000).mul(multiplier));
        }
      }
      previous = { date: day.date, value };
    }
  });

  // SPIKE and ZERO_CONSUMPTION: on the value that closes the day (the next midnight's total).
  const byDate = new Map(sorted.map((d) => [d.date, d]));
  const closing = (date: string) => byDate.get(nextDay(date))?.total;
  const usable: Dec[] = [];
  let zeroRun: string[] = [];
  for (const day of sorted) {
    const used = consumption.get(day.date);
    if (used === undefined) {
      zeroRun = [];
      continue;
    }
    if (on.has('SPIKE')) {
      const history = usable.slice(-params.historyDays);
      // Fewer than 3 days of history say nothing about what is normal for this meter.
      if (history.length >= 3) {
        const reference = median(history).mul(params.spikeFactor);
        if (used.gt(reference) && used.gt(params.spikeMinKwh)) {
          add(closing(day.date), ReadingFlag.SPIKE);
          zeroRun = [];
          continue; // a spike is not history for the days after it
        }
      }
    }
    usable.push(used);
    if (used.isZero()) {
      zeroRun.push(day.date);
      if (on.has('ZERO_CONSUMPTION') && zeroRun.length >= params.zeroDays) {
        for (const date of zeroRun) add(closing(date), ReadingFlag.ZERO_CONSUMPTION);
      }
    } else {
      zeroRun = [];
    }
    // A gap ends a run of zero days: the days must be consecutive.
    if (!consumption.has(nextDay(day.date))) zeroRun = [];
  }

  for (const day of sorted) {
    if (on.has('TOU_SUM_MISMATCH') && day.total && day.bands.some(Boolean)) {
      // Only complete sets are compared: a missing band is a gap, not a mismatch.
      if (day.bands.length === 4 && day.bands.every(Boolean)) {
        const sum = day.bands.reduce((s, b) => s.add(b!.value), new Dec(0));
        if (sum.sub(day.total.value).abs().gt(params.touTolerance)) add(day.total, ReadingFlag.TOU_SUM_MISMATCH);
      }
    }
    if (on.has('CLOCK')) {
      for (const v of [day.total, ...day.bands, day.maxDemand]) {
        if (v && Math.abs(v.measuredAt.getTime() - day.midnight.getTime()) > params.clockToleranceSeconds * 1000)
          add(v, ReadingFlag.CLOCK);
      }
    }
    if (on.has('DEMAND_OVER_CAPACITY') && day.maxDemand && meter.contractedCapacity) {
      // kW against kVA: a power factor of 1 is the most the contract can deliver.
      const demand = new Dec(day.maxDemand.value).mul(multiplier);
      if (demand.gt(new Dec(meter.contractedCapacity).mul(params.demandFactor)))
        add(day.maxDemand, ReadingFlag.DEMAND_OVER_CAPACITY);
    }
  }
  return flags;
}

function median(values: Dec[]): Dec {
  const sorted = [...values].sort((a, b) => a.comparedTo(b));
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : sorted[mid - 1]!.add(sorted[mid]!).div(2);
}

const nextDay = (date: string) => addDays(date, 1);
