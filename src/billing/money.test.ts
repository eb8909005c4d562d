import { describe, expect, it } from 'vitest';
import { lineAmount, proratedAmount, sumEnergy, sumMoney } from './money.js';

describe('money', () => {
  it('rounds a line once, half up, to the fen', () => {
    expect(lineAmount('123.45', '0.5283')).toBe('65.22'); // 65.218635
    expect(lineAmount('10', '0.0005')).toBe('0.01'); // 0.005 rounds up
    expect(lineAmount('10', '0.0004')).toBe('0.00');
    expect(lineAmount('-10', '0.0005')).toBe('-0.01'); // half away from zero for credits
  });

  it('sums without rounding again', () => {
    expect(sumMoney(['65.22', '0.01', '-0.01'])).toBe('65.22');
    expect(sumMoney([])).toBe('0.00');
    expect(sumEnergy(['0.00000001', '1.5'])).toBe('1.50000001');
  });

  it('prorates a charge by days and rounds the exact quotient once', () => {
    expect(proratedAmount('5.00', 10, 30)).toBe('1.67'); // 1.666..
    expect(proratedAmount('5.00', 20, 30)).toBe('3.33'); // 3.333..
    expect(proratedAmount('0.31', 1, 2)).toBe('0.16'); // 0.155 exactly: half up
    expect(proratedAmount('3.00', 31, 31)).toBe('3.00');
    expect(() => proratedAmount('3.00', 1.5, 31)).toThrow(RangeError);
    expect(() => proratedAmount('3.00', 1, 0)).toThrow(RangeError);
  });
});
