import { DateTime } from 'luxon';

/**
 * When a reading round is due by default: the end of its reading window on the route's next
 * reading day, in the organisation's time zone. The window opens on the reading day; one that
 * closes at or before its opening time (22:00-02:00) closes on the day after. The next reading day
 * is today when today's window has not closed yet.
 */
export function readingWindowEnd(
  now: Date,
  zone: string,
  readingDay: number,
  windowStart: string,
  windowEnd: string,
): Date {
  const local = DateTime.fromJSDate(now, { zone });
  // Reading days are 1-28: every month has one. This month's may be over, the next month's is not.
  for (let months = 0; ; months++) {
    const day = local.startOf('month').plus({ months }).set({ day: readingDay });
    let end = DateTime.fromISO(`${day.toISODate()}T${windowEnd}`, { zone });
    if (windowEnd <= windowStart) end = end.plus({ days: 1 });
    if (end > local) return end.toJSDate();
  }
}
