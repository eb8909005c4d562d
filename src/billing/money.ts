import { Dec, toMoney } from '../shared/decimal.js';

/**
 * Money in CNY to the fen (ADR 0014). The one rounding rule of every bill: a line's amount is its
 * quantity times its unit price, rounded once, half up, to 0.01; a total is the exact sum of
 * rounded lines. Nothing else in billing rounds money.
 */
export function lineAmount(quantity: string, unitPrice: string): string {
  return toMoney(new Dec(quantity).times(unitPrice));
}

/**
 * The same rule for a charge prorated by days: `amount × days / ofDays` is a rational number with no
 * exact decimal in general (10/31), so it is computed at full precision and rounded once, half up, to
 * the fen. 40 significant digits decide every half-fen case: a quotient that is not a terminating
 * decimal is never exactly on a half fen.
 */
export function proratedAmount(amount: string, days: number, ofDays: number): string {
  if (!Number.isInteger(days) || !Number.isInteger(ofDays) || ofDays <= 0)
    throw new RangeError(`prorate by whole days: ${days}/${ofDays}`);
  return toMoney(new Dec(amount).times(days).dividedBy(ofDays));
}

/** Exact sum of amounts already in fen (no rounding happens here). */
export function sumMoney(amounts: readonly string[]): string {
  return amounts.reduce((sum, a) => sum.plus(a), new Dec(0)).toFixed(2);
}

/** Exact sum of energy quantities (kWh), in canonical form. */
export function sumEnergy(quantities: readonly string[]): string {
  return quantities.reduce((sum, q) => sum.plus(q), new Dec(0)).toFixed();
}
