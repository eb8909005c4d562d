import { DateTime } from 'luxon';

/**
 * Time arithmetic for schedules. Slots are aligned to local midnight in the schedule's time zone
 * and counted in elapsed time, so a 15-minute schedule has 92 slots on a 23-hour day and 100 on a
 * 25-hour one, and no slot is run twice when clocks go back.
 */

/** Local midnight (start of the local day) of `at`. */
export function dailySlot(at: Date, zone: string): Date {
  return DateTime.fromJSDate(at, { zone }).startOf('day').toJSDate();
}

/** Start of the interval slot that contains `at`. */
export function intervalSlot(at: Date, minutes: number, zone: string): Date {
  const midnight = dailySlot(at, zone).getTime();
  const step = minutes * 60_000;
  return new Date(midnight + Math.floor((at.getTime() - midnight) / step) * step);
}

/** Minutes past local midnight on the wall clock. */
export function localMinute(at: Date, zone: string): number {
  const local = DateTime.fromJSDate(at, { zone });
  return local.hour * 60 + local.minute;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Whether a wall-clock minute lies in the window [start, end). A window whose end is before its
 * start wraps midnight (22:00-02:00); equal ends mean all day.
 */
export function inWindow(minute: number, start: string, end: string): boolean {
  const from = minutesOf(start);
  const to = minutesOf(end);
  if (from === to) return true;
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

/**
 * Pause before attempt number `attempts + 1`: doubling from `baseMs`, capped at `capMs`, spread by
 * ±20 % so that meters that failed together (a gateway down) are not retried all at once.
 */
export function retryDelayMs(attempts: number, baseMs: number, capMs: number, random: () => number = Math.random) {
  const plain = Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(plain * (0.8 + 0.4 * random()));
}
