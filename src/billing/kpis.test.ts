import { describe, expect, it } from 'vitest';
import { kpiRate, rateWorking } from './kpis.js';

describe('kpiRate', () => {
  it('is a percentage rounded half up to 2 decimals', () => {
    expect(kpiRate(2, 3).rate).toBe('66.67');
    expect(kpiRate(1, 3).rate).toBe('33.33');
    expect(kpiRate(9, 10).rate).toBe('90.00');
    expect(kpiRate(10, 10).rate).toBe('100.00');
    expect(kpiRate(0, 7).rate).toBe('0.00');
    // Exactly half a hundredth of a percent rounds up, never to even.
    expect(kpiRate(1, 800).rate).toBe('0.13');
    expect(kpiRate(3, 800).rate).toBe('0.38');
    expect(kpiRate(5, 800).rate).toBe('0.63');
    expect(kpiRate(1, 16).rate).toBe('6.25');
    // Just below a half stays below, whatever floats would make of it.
    expect(kpiRate(1249, 1_000_000).rate).toBe('0.12');
    expect(kpiRate(2, 30_000).rate).toBe('0.01');
    expect(kpiRate(1, 30_000).rate).toBe('0.00');
  });

  it('is null with nothing to count, and keeps its working', () => {
    expect(kpiRate(0, 0)).toEqual({ numerator: 0, denominator: 0, rate: null });
    expect(kpiRate(27, 30)).toEqual({ numerator: 27, denominator: 30, rate: '90.00' });
    expect(rateWorking(kpiRate(27, 30))).toBe('27 / 30 = 90.00 %');
    expect(rateWorking(kpiRate(0, 0))).toBe('0 / 0 = -');
    expect(rateWorking(null)).toBe('');
  });

  it('refuses counts that cannot be', () => {
    expect(() => kpiRate(4, 3)).toThrow(RangeError);
    expect(() => kpiRate(-1, 3)).toThrow(RangeError);
    expect(() => kpiRate(1.5, 3)).toThrow(RangeError);
    expect(() => kpiRate(0, Number.NaN)).toThrow(RangeError);
  });
});
