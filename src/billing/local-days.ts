import { DateTime } from 'luxon';

/**
 * Local calendar days of an org's time zone. Billing and daily totals are counted in local days:
 * a day is [its local midnight, the next local midnight), 23 or 25 hours long on a clock change.
 * Dates are ISO strings (YYYY-MM-DD), the `LocalDate` scalar of the API.
 */

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function parse(date: string, zone: string): DateTime {
  const d = ISO_DATE.test(date) ? DateTime.fromISO(date, { zone }) : DateTime.invalid('format');
  if (!d.isValid) throw new RangeError(`not a local date: ${date}`);
  return d;
}

/** The instant a local date starts (its midnight; the first instant of the day if midnight is skipped). */
export function localMidnight(date: string, zone: string): Date {
  return parse(date, zone).startOf('day').toJSDate();
}

/** The local date an instant falls on. */
export function localDateOf(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toISODate()!;
}

export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round(DateTime.fromISO(to, { zone: 'UTC' }).diff(DateTime.fromISO(from, { zone: 'UTC' }), 'days').days);
}

/** The dates of [from, to). */
export function datesIn(from: string, to: string): string[] {
  const n = daysBetween(from, to);
  return Array.from({ length: Math.max(0, n) }, (_, i) => addDays(from, i));
}

/**
 * The billing cycle that closes in `period` (YYYY-MM) for a customer whose reading day is
 * `billingDay` (1-28): from that day of the previous month to that day of the period's month,
 * [start, end). The register values at the two local midnights bound the cycle's consumption.
 */
export function billingCycle(period: string, billingDay: number): { start: string; end: string } {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) throw new RangeError(`not a period (YYYY-MM): ${period}`);
  if (!Number.isInteger(billingDay) || billingDay < 1 || billingDay > 28)
    throw new RangeError(`billing day must be 1-28: ${billingDay}`);
  const end = DateTime.fromISO(`${period}-01`, { zone: 'UTC' }).set({ day: billingDay });
  return { start: end.minus({ months: 1 }).toISODate()!, end: end.toISODate()! };
}
