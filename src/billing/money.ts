import { Dec, toMoney } from '../shared/decimal.js';

/**
 * Money in CNY to the fen (ADR 0014). The one rounding rule of every bill: a line's amount is its
 * quantity times its unit price, rounded once, half up, to 0.01; a total is the exact sum of
 * rounded lines. Nothing else in billing rounds money.
 */
export function lineAmount(quantity: string, unitPrice: string): string {
  return toMoney(new Dec(quantity).times(unitPrice));
}

/** Exact sum of amounts already in fen (no rounding happens here). */
export function sumMoney(amounts: readonly string[]): string {
  return amounts.reduce((sum, a) => sum.plus(a), new Dec(0)).toFixed(2);
}

/** Exact sum of energy quantities (kWh), in canonical form. */
export function sumEnergy(quantities: readonly string[]): string {
  return quantities.reduce((sum, q) => sum.plus(q), new Dec(0)).toFixed();
}
