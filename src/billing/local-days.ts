import { DateTime } from 'luxon';

/**
 * Local calendar days of an org's time zone. Billing and daily totals are counted in local days:
 * a day is [its local midnight, the next local midnight), 23 or 25 hours long on a clock change.
 * Dates are ISO strings (YYYY-MM-DD), the `LocalDate` scalar of the API.
 */

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/**
 * Local midnights already computed, per zone and date. A settlement run asks for the same few
 * dozen midnights once per customer; the time zone rules behind them do not change while the
 * process runs. Bounded, so a long-running server does not grow it without end.
 */
const midnights = new Map<string, number>();
const MIDNIGHTS_KEPT = 50_000;

/** The instant a local date starts (its midnight; the first instant of the day if midnight is skipped). */
export function localMidnight(date: string, zone: string): Date {
  const key = `${zone}|${date}`;
  const known = midnights.get(key);
  if (known !== undefined) return new Date(known);
  const d = ISO_DATE.test(date) ? DateTime.fromISO(date, { zone }) : DateTime.invalid('format');
  if (!d.isValid) throw new RangeError(`not a local date: ${date}`);
  const at = d.startOf('day').toMillis();
  if (midnights.size >= MIDNIGHTS_KEPT) midnights.clear();
  midnights.set(key, at);
  return new Date(at);
}

/** The local date an instant falls on. */
export function localDateOf(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toISODate()!;
}

/** Days since 1970-01-01 of a calendar date (no time zone: a date is a date). */
function dayNumber(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY_MS;
}

function dateOfDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return dateOfDayNumber(dayNumber(date) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/** The dates of [from, to). */
export function datesIn(from: string, to: string): string[] {
  const start = dayNumber(from);
  return Array.from({ length: Math.max(0, dayNumber(to) - start) }, (_, i) => dateOfDayNumber(start + i));
}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const pad = (n: number) => String(n).padStart(2, '0');

/** The month `months` after `period` (YYYY-MM; negative goes back). */
export function addMonths(period: string, months: number): string {
  if (!PERIOD.test(period)) throw new RangeError(`not a period (YYYY-MM): ${period}`);
  const index = Number(period.slice(0, 4)) * 12 + Number(period.slice(5, 7)) - 1 + months;
  return `${Math.floor(index / 12)}-${pad((index % 12) + 1)}`;
}

/** Months from `from` to `to` (YYYY-MM), negative when `to` is earlier. */
export function monthsBetween(from: string, to: string): number {
  const index = (p: string) => Number(addMonths(p, 0).slice(0, 4)) * 12 + Number(p.slice(5, 7));
  return index(to) - index(from);
}

/** The local dates a calendar month spans: its first day and the next month's first, [from, to). */
export function monthOf(period: string): { from: string; to: string } {
  return { from: `${addMonths(period, 0)}-01`, to: `${addMonths(period, 1)}-01` };
}

/**
 * The billing cycle that closes in `period` (YYYY-MM) for a customer whose reading day is
 * `billingDay` (1-28): from that day of the previous month to that day of the period's month,
 * [start, end). The register values at the two local midnights bound the cycle's consumption.
 */
export function billingCycle(period: string, billingDay: number): { start: string; end: string } {
  if (!PERIOD.test(period)) throw new RangeError(`not a period (YYYY-MM): ${period}`);
  if (!Number.isInteger(billingDay) || billingDay < 1 || billingDay > 28)
    throw new RangeError(`billing day must be 1-28: ${billingDay}`);
  // Days 1-28 exist in every month, so the dates are the period's and the month before's.
  return { start: `${addMonths(period, -1)}-${pad(billingDay)}`, end: `${period}-${pad(billingDay)}` };
}

/** The billing cycle of a customer reading on `billingDay` that contains the local date `on`. */
export function billingCycleOf(on: string, billingDay: number): { start: string; end: string } {
  const month = on.slice(0, 7);
  return billingCycle(Number(on.slice(8, 10)) >= billingDay ? addMonths(month, 1) : month, billingDay);
}
