import { Dec } from '../shared/decimal.js';

/**
 * A KPI that is a share: what counted over what could have, and the percentage, so that a printed
 * report shows its working ("27 / 30 = 90.00 %").
 */
export interface KpiRate {
  numerator: number;
  denominator: number;
  /** Percent, rounded half up to 2 decimals ("66.67"); null when there was nothing to count. */
  rate: string | null;
}

/**
 * The rate of `numerator` out of `denominator`: the exact quotient (40 significant digits) as a
 * percent, rounded once, half up, to 2 decimals. Counts are whole and the numerator is part of
 * the denominator; anything else is a mistake in the query that counted them.
 */
export function kpiRate(numerator: number, denominator: number): KpiRate {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || numerator < 0 || denominator < 0)
    throw new RangeError(`counts must be whole and not negative: ${numerator} / ${denominator}`);
  if (numerator > denominator) throw new RangeError(`more counted than countable: ${numerator} / ${denominator}`);
  return {
    numerator,
    denominator,
    rate:
      denominator === 0
        ? null
        : new Dec(numerator).div(denominator).times(100).toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2),
  };
}

/** The working of a rate as printed: "27 / 30 = 90.00 %", or "0 / 0 = -" with nothing to count. */
export function rateWorking(rate: KpiRate | null): string {
  if (!rate) return '';
  return `${rate.numerator} / ${rate.denominator} = ${rate.rate === null ? '-' : `${rate.rate} %`}`;
}

export interface HazardCounts {
  reported: number;
  verified: number;
  points: number;
}

export interface TrainingCounts {
  completed: number;
  failed: number;
  /** Hours of the completed courses (exact decimal). */
  hours: string;
}

/**
 * A unit's or a person's KPIs (docs/kpis.md), as the API computes them and reports print them;
 * the station-level ones are null for a person.
 */
export interface KpiFigures {
  collectionSuccess: KpiRate | null;
  coverage: KpiRate | null;
  lineLossQualification: KpiRate | null;
  workOrderTimeliness: KpiRate;
  abnormalityClosure: KpiRate;
  checkReadingAccuracy: KpiRate;
  hazards: HazardCounts;
  training: TrainingCounts;
  metersOverdueVerification: number | null;
}
