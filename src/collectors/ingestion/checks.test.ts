import { describe, expect, it } from 'vitest';
import { checkReading, ReadingFlag, type MeterFacts } from './checks.js';

const meter: MeterFacts = {
  installedAt: new Date('2026-01-01T00:00:00Z'),
  registerDigits: 6,
  registerDecimals: 2,
  multiplier: '1',
  contractedCapacity: '8',
};
const now = new Date('2026-06-01T12:00:00Z');
const at = (iso: string) => new Date(iso);
const check = (value: string, measuredAt: string, previous?: { value: string; measuredAt: string }, facts = meter) =>
  checkReading(
    { value, measuredAt: at(measuredAt), cumulative: true },
    facts,
    previous && { value: previous.value, measuredAt: at(previous.measuredAt) },
    now,
  );

describe('first-line checks', () => {
  it('keeps a normal increase as good', () => {
    expect(check('1010.5', '2026-06-01T11:00:00Z', { value: '1005', measuredAt: '2026-06-01T10:00:00Z' })).toEqual({
      keep: true,
      quality: 'GOOD',
      flags: 0,
    });
  });

  it('drops future values, values before installation and values wider than the register', () => {
    expect(check('1', '2026-06-01T12:06:00Z')).toEqual({
      keep: false,
      reason: 'measured in the future',
      field: 'measuredAt',
    });
    expect(check('1', '2025-12-31T23:59:00Z')).toEqual({
      keep: false,
      reason: 'measured before the meter was installed',
      field: 'measuredAt',
    });
    expect(check('1000000', '2026-06-01T11:00:00Z')).toEqual({
      keep: false,
      reason: 'does not fit the 6-digit register',
      field: 'value',
    });
  });

  it('flags a decrease, but recognises a rollover at the register width', () => {
    expect(check('999.99', '2026-06-01T11:00:00Z', { value: '1005', measuredAt: '2026-06-01T10:00:00Z' })).toEqual({
      keep: true,
      quality: 'SUSPECT',
      flags: ReadingFlag.REGISTER_DECREASE,
    });
    // 999998.5 -> 3.5 is 5 kWh through the 999999.99 boundary: 8 kVA x 1.5 x 1 h = 12 allows it.
    expect(check('3.5', '2026-06-01T11:00:00Z', { value: '999998.5', measuredAt: '2026-06-01T10:00:00Z' })).toEqual({
      keep: true,
      quality: 'GOOD',
      flags: ReadingFlag.ROLLOVER,
    });
  });

  it('flags more energy than the contracted capacity can deliver', () => {
    // 8 kVA x 1.5 x 2 h = 24 kWh possible; 30 kWh is not.
    expect(check('1035', '2026-06-01T12:00:00Z', { value: '1005', measuredAt: '2026-06-01T10:00:00Z' })).toMatchObject({
      quality: 'SUSPECT',
      flags: ReadingFlag.IMPLAUSIBLE_JUMP,
    });
    expect(check('1029', '2026-06-01T12:00:00Z', { value: '1005', measuredAt: '2026-06-01T10:00:00Z' })).toMatchObject({
      quality: 'GOOD',
    });
    // With CT 40 the register moves 40 times slower: 0.6 register kWh in 2 h is 24 primary kWh.
    expect(
      check(
        '1005.7',
        '2026-06-01T12:00:00Z',
        { value: '1005', measuredAt: '2026-06-01T10:00:00Z' },
        { ...meter, multiplier: '40' },
      ),
    ).toMatchObject({ quality: 'SUSPECT' });
  });
});
