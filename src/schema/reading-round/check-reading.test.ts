import { describe, expect, it } from 'vitest';
import { automaticValueAt, checkDifference } from './check-reading.js';

const at = (iso: string) => new Date(iso);
const value = (v: string, iso: string) => ({ value: v, measuredAt: at(iso) });

describe('the automatic value at a check reading', () => {
  it('interpolates linearly between the collected values around the visit, exactly', () => {
    // 100 -> 124 kWh over 24 h; the visit 10 h in: 100 + 24 x 10/24 = 110.
    expect(
      automaticValueAt(
        at('2026-06-02T10:00:00Z'),
        value('100', '2026-06-02T00:00:00Z'),
        value('124', '2026-06-03T00:00:00Z'),
        6,
      ),
    ).toBe('110.0000');
    // 1/3 of 0.01 kWh: 1000.003333... rounds half up to 4 decimals.
    expect(
      automaticValueAt(
        at('2026-06-02T01:00:00Z'),
        value('1000', '2026-06-02T00:00:00Z'),
        value('1000.01', '2026-06-02T03:00:00Z'),
        6,
      ),
    ).toBe('1000.0033');
    // 2/3 of 0.01 kWh: 1000.006666... -> 1000.0067 (no binary fraction error on the way).
    expect(
      automaticValueAt(
        at('2026-06-02T02:00:00Z'),
        value('1000', '2026-06-02T00:00:00Z'),
        value('1000.01', '2026-06-02T03:00:00Z'),
        6,
      ),
    ).toBe('1000.0067');
  });

  it('takes the value measured at the moment of the visit as it is', () => {
    expect(
      automaticValueAt(
        at('2026-06-02T00:00:00Z'),
        value('100.25', '2026-06-02T00:00:00Z'),
        value('124', '2026-06-03T00:00:00Z'),
        6,
      ),
    ).toBe('100.2500');
  });

  it('falls back to the latest value before within 48 h, and to nothing beyond', () => {
    // No value after: the register held its last value.
    expect(automaticValueAt(at('2026-06-03T00:00:00Z'), value('100.5', '2026-06-01T00:00:00Z'), undefined, 6)).toBe(
      '100.5000',
    );
    // The value after is more than 48 h away: the value before alone.
    expect(
      automaticValueAt(
        at('2026-06-02T00:00:00Z'),
        value('100', '2026-06-01T12:00:00Z'),
        value('200', '2026-06-04T00:00:01Z'),
        6,
      ),
    ).toBe('100.0000');
    // Exactly 48 h counts; one millisecond more does not.
    expect(automaticValueAt(at('2026-06-03T00:00:00Z'), value('7', '2026-06-01T00:00:00Z'), undefined, 6)).toBe(
      '7.0000',
    );
    expect(
      automaticValueAt(at('2026-06-03T00:00:00.001Z'), value('7', '2026-06-01T00:00:00Z'), undefined, 6),
    ).toBeNull();
    // Only a value after: nothing to stand for the moment of the visit.
    expect(automaticValueAt(at('2026-06-02T00:00:00Z'), undefined, value('5', '2026-06-02T01:00:00Z'), 6)).toBeNull();
    expect(automaticValueAt(at('2026-06-02T00:00:00Z'), undefined, undefined, 6)).toBeNull();
  });

  it('interpolates across a rollover, and not across a decrease', () => {
    // 999990 -> 10 on a 6-digit register is 20 kWh; half way is 1000000 -> 0.
    expect(
      automaticValueAt(
        at('2026-06-02T12:00:00Z'),
        value('999990', '2026-06-02T00:00:00Z'),
        value('10', '2026-06-03T00:00:00Z'),
        6,
      ),
    ).toBe('0.0000');
    expect(
      automaticValueAt(
        at('2026-06-02T06:00:00Z'),
        value('999990', '2026-06-02T00:00:00Z'),
        value('10', '2026-06-03T00:00:00Z'),
        6,
      ),
    ).toBe('999995.0000');
    // A fall that is no rollover: the value before stands.
    expect(
      automaticValueAt(
        at('2026-06-02T12:00:00Z'),
        value('500', '2026-06-02T00:00:00Z'),
        value('400', '2026-06-03T00:00:00Z'),
        6,
      ),
    ).toBe('500.0000');
  });
});

describe('the difference of a check reading', () => {
  it('is the field value minus the automatic value, to 4 decimals', () => {
    expect(checkDifference('110.5', '110.0000', 6)).toBe('0.5000');
    expect(checkDifference('109.99', '110.0033', 6)).toBe('-0.0133');
    expect(checkDifference('0.1', '0.1', 6)).toBe('0.0000');
    expect(checkDifference('5', null, 6)).toBeNull();
  });

  it('goes the short way round the register', () => {
    expect(checkDifference('2', '999999', 6)).toBe('3.0000');
    expect(checkDifference('999999', '2', 6)).toBe('-3.0000');
  });
});
