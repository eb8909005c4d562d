import { describe, expect, it } from 'vitest';
import { readingWindowEnd } from './round-due.js';

const ZONE = 'Asia/Shanghai';
const end = (now: string, day: number, start: string, stop: string, zone = ZONE) =>
  readingWindowEnd(new Date(now), zone, day, start, stop).toISOString();

describe('the default due time of a reading round', () => {
  it('is the end of the window on the next reading day, local time', () => {
    // 2026-06-03 10:00 in Shanghai; day 8, 00:00-06:00 -> 2026-06-08 06:00 +08:00.
    expect(end('2026-06-03T02:00:00Z', 8, '00:00', '06:00')).toBe('2026-06-07T22:00:00.000Z');
    // The reading day is past this month: next month's.
    expect(end('2026-06-09T02:00:00Z', 8, '00:00', '06:00')).toBe('2026-07-07T22:00:00.000Z');
    // December to January.
    expect(end('2026-12-20T02:00:00Z', 1, '00:00', '06:00')).toBe('2026-12-31T22:00:00.000Z');
  });

  it('is today while today is the reading day and its window has not closed', () => {
    // 2026-06-08 05:00 local, window until 06:00.
    expect(end('2026-06-07T21:00:00Z', 8, '00:00', '06:00')).toBe('2026-06-07T22:00:00.000Z');
    // 2026-06-08 06:00 local: closed, so next month.
    expect(end('2026-06-07T22:00:00Z', 8, '00:00', '06:00')).toBe('2026-07-07T22:00:00.000Z');
  });

  it('closes on the next day when the window runs past midnight', () => {
    // Day 8, 22:00-02:00 -> 2026-06-09 02:00 local.
    expect(end('2026-06-03T02:00:00Z', 8, '22:00', '02:00')).toBe('2026-06-08T18:00:00.000Z');
  });

  it('keeps local time across a clock change', () => {
    // Europe/Berlin moves to summer time on 2026-03-29: 06:00 local is 04:00 UTC, not 05:00.
    expect(end('2026-03-20T12:00:00Z', 28, '00:00', '06:00', 'Europe/Berlin')).toBe('2026-03-28T05:00:00.000Z');
    expect(end('2026-03-29T12:00:00Z', 28, '00:00', '06:00', 'Europe/Berlin')).toBe('2026-04-28T04:00:00.000Z');
  });
});
