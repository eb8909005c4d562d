import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  billingCycle,
  billingCycleOf,
  datesIn,
  daysBetween,
  localDateOf,
  localMidnight,
  monthOf,
  monthsBetween,
} from './local-days.js';

describe('local days', () => {
  it('starts a Shanghai day at 16:00 UTC the day before', () => {
    expect(localMidnight('2026-11-01', 'Asia/Shanghai').toISOString()).toBe('2026-10-31T16:00:00.000Z');
    expect(localDateOf(new Date('2026-10-31T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-01');
    expect(localDateOf(new Date('2026-10-31T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-10-31');
  });

  it('has 23- and 25-hour days where clocks change', () => {
    const hours = (d: string, zone: string) =>
      (localMidnight(addDays(d, 1), zone).getTime() - localMidnight(d, zone).getTime()) / 3_600_000;
    expect(hours('2026-03-29', 'Europe/Berlin')).toBe(23);
    expect(hours('2026-10-25', 'Europe/Berlin')).toBe(25);
    expect(hours('2026-10-25', 'Asia/Shanghai')).toBe(24);
  });

  it('counts days and lists a range', () => {
    expect(daysBetween('2026-02-01', '2026-03-01')).toBe(28);
    expect(daysBetween('2024-02-01', '2024-03-01')).toBe(29);
    expect(datesIn('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01']);
    expect(datesIn('2026-01-02', '2026-01-01')).toEqual([]);
  });

  it('closes a billing cycle on the reading day', () => {
    expect(billingCycle('2026-11', 1)).toEqual({ start: '2026-10-01', end: '2026-11-01' });
    expect(billingCycle('2026-01', 15)).toEqual({ start: '2025-12-15', end: '2026-01-15' });
    expect(() => billingCycle('2026-13', 1)).toThrow(RangeError);
    expect(() => billingCycle('2026-11', 29)).toThrow(RangeError);
    expect(() => localMidnight('2026-02-30', 'Asia/Shanghai')).toThrow(RangeError);
  });
});

describe('local days without a calendar library', () => {
  it('agrees with the calendar across months, leap years and centuries', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2100-02-28', 1)).toBe('2100-03-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(daysBetween('2000-01-01', '2026-11-26')).toBe(9826);
    expect(billingCycle('2026-03', 28)).toEqual({ start: '2026-02-28', end: '2026-03-28' });
  });

  it('gives the same midnight from the cache as computed', () => {
    const first = localMidnight('2026-03-29', 'Europe/Berlin');
    const again = localMidnight('2026-03-29', 'Europe/Berlin');
    expect(again.getTime()).toBe(first.getTime());
    again.setTime(0); // a caller changing its Date does not change the cache
    expect(localMidnight('2026-03-29', 'Europe/Berlin').toISOString()).toBe('2026-03-28T23:00:00.000Z');
  });
});

describe('months', () => {
  it('adds and counts months across years', () => {
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(addMonths('2026-11', 2)).toBe('2027-01');
    expect(addMonths('2026-11', -23)).toBe('2024-12');
    expect(monthsBetween('2025-11', '2026-02')).toBe(3);
    expect(monthsBetween('2026-02', '2025-11')).toBe(-3);
    expect(monthOf('2026-12')).toEqual({ from: '2026-12-01', to: '2027-01-01' });
    expect(() => addMonths('2026-00', 1)).toThrow(RangeError);
  });

  it('finds the cycle that contains a day', () => {
    expect(billingCycleOf('2026-11-26', 8)).toEqual({ start: '2026-11-08', end: '2026-12-08' });
    expect(billingCycleOf('2026-11-08', 8)).toEqual({ start: '2026-11-08', end: '2026-12-08' });
    expect(billingCycleOf('2026-11-07', 8)).toEqual({ start: '2026-10-08', end: '2026-11-08' });
    expect(billingCycleOf('2026-01-03', 15)).toEqual({ start: '2025-12-15', end: '2026-01-15' });
  });
});
