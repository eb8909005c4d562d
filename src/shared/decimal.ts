import { Decimal } from 'decimal.js';

/**
 * One Decimal configuration for the whole server. Energy and money never pass through JS numbers:
 * PostgreSQL `numeric` arrives as a string, is parsed here and leaves as a string.
 * Rounding for money (fen) is ROUND_HALF_UP, the rule Chinese billing uses; it is applied explicitly
 * with `toMoney`, never implicitly.
 */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -30, toExpPos: 40 });
export type Dec = Decimal;

export const DECIMAL_PATTERN = /^-?\d{1,24}(\.\d{1,10})?$/;

export function parseDecimal(value: string): Decimal {
  if (!DECIMAL_PATTERN.test(value)) throw new RangeError(`not a plain decimal: ${value}`);
  return new Dec(value);
}

/** Canonical text for a decimal: no exponent, no trailing zeros beyond the given scale. */
export function formatDecimal(value: Decimal.Value, scale?: number): string {
  const d = new Dec(value);
  return scale === undefined ? d.toFixed() : d.toFixed(scale);
}

export function toMoney(value: Decimal.Value): string {
  return new Dec(value).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
}
