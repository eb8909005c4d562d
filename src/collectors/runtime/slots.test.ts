import { describe, expect, it } from 'vitest';
import { dailySlot, inWindow, intervalSlot, localMinute, retryDelayMs } from './slots.js';

describe('schedule slots', () => {
  it('aligns interval slots to local midnight', () => {
    const at = new Date('2026-11-26T01:07:30Z'); // 09:07:30 in Shanghai
    expect(intervalSlot(at, 15, 'Asia/Shanghai').toISOString()).toBe('2026-11-26T01:00:00.000Z');
    // Kathmandu is UTC+05:45: a 60-minute slot starts on the local hour, not the UTC one.
    expect(intervalSlot(at, 60, 'Asia/Kathmandu').toISOString()).toBe('2026-11-26T00:15:00.000Z');
    expect(dailySlot(at, 'Asia/Shanghai').toISOString()).toBe('2026-11-25T16:00:00.000Z');
    expect(localMinute(at, 'Asia/Shanghai')).toBe(9 * 60 + 7);
  });

  it('counts slots in elapsed time across a daylight-saving change', () => {
    // Berlin, 2026-03-29: clocks jump from 02:00 to 03:00, the day has 23 hours.
    const zone = 'Europe/Berlin';
    const midnight = dailySlot(new Date('2026-03-29T12:00:00Z'), zone).getTime();
    const slots = new Set<number>();
    for (let t = midnight; t < midnight + 23 * 3_600_000; t += 5 * 60_000)
      slots.add(intervalSlot(new Date(t), 15, zone).getTime());
    expect(slots.size).toBe(92);
    expect(dailySlot(new Date(midnight + 23 * 3_600_000), zone).getTime()).toBe(midnight + 23 * 3_600_000);
  });

  it('knows windows, also across midnight', () => {
    expect(inWindow(0, '00:00', '06:00')).toBe(true);
    expect(inWindow(360, '00:00', '06:00')).toBe(false);
    expect(inWindow(23 * 60, '22:00', '02:00')).toBe(true);
    expect(inWindow(60, '22:00', '02:00')).toBe(true);
    expect(inWindow(12 * 60, '22:00', '02:00')).toBe(false);
    expect(inWindow(12 * 60, '00:00', '00:00')).toBe(true);
  });

  it('doubles the pause between attempts up to a cap, spread by a fifth', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n, 60_000, 600_000, () => 0.5))).toEqual([
      60_000, 120_000, 240_000, 480_000, 600_000,
    ]);
    expect(retryDelayMs(1, 60_000, 600_000, () => 0)).toBe(48_000);
    expect(retryDelayMs(1, 60_000, 600_000, () => 1)).toBe(72_000);
  });
});
