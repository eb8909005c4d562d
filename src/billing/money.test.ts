import { describe, expect, it } from 'vitest';
import { lineAmount, sumEnergy, sumMoney } from './money.js';

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
});
