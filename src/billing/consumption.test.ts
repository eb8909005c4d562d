import { describe, expect, it } from 'vitest';
import { Dec } from '../shared/decimal.js';
import { BANDS } from './bands.js';
import { allocateToBands, consumptionBetween, registerDelta, RegisterValues, type MeterSpan } from './consumption.js';

const at = (iso: string) => new Date(iso);
const D1 = at('2026-10-31T16:00:00Z'); // 2026-11-01 00:00 Asia/Shanghai
const D2 = at('2026-11-30T16:00:00Z'); // 2026-12-01 00:00

function values(rows: [number, string, Date, string, boolean?][]) {
  const v = new RegisterValues();
  for (const [meter, register, when, value, estimated] of rows)
    v.set(meter, register as 'TOTAL', when, { value, estimated: estimated ?? false });
  return v;
}

const meter1: MeterSpan = { meterId: 1, multiplier: '1', registerDigits: 6, installedAt: at('2025-01-01T00:00:00Z') };

describe('registerDelta', () => {
  it('subtracts, and rolls over only from the top tenth to the bottom tenth', () => {
    expect(registerDelta('100.5', '130.25', 6)).toEqual({ delta: '29.75', rolledOver: false });
    // 999950.00 -> 000030.00 on a 6-digit register: 50 to the top, then 30: 80 kWh.
    expect(registerDelta('999950', '30', 6)).toEqual({ delta: '80', rolledOver: true });
    expect(registerDelta('500000', '30', 6)).toBeNull();
    expect(registerDelta('99990', '5', 5)).toEqual({ delta: '15', rolledOver: true });
  });
});

describe('consumptionBetween', () => {
  it('is the register difference times the multiplier', () => {
    const v = values([
      [1, 'TOTAL', D1, '1000.10'],
      [1, 'TOTAL', D2, '1123.55'],
    ]);
    const c = consumptionBetween([{ ...meter1, multiplier: '40' }], v.get, D1, D2);
    expect(c.total).toBe('4938'); // 123.45 x 40
    expect(c.bands).toBeNull();
    expect(c.parts[0]).toMatchObject({ start: { value: '1000.10', from: 'READING' }, rolledOver: false });
  });

  it('counts a rollover', () => {
    const v = values([
      [1, 'TOTAL', D1, '999950.00'],
      [1, 'TOTAL', D2, '30.00'],
    ]);
    const c = consumptionBetween([meter1], v.get, D1, D2);
    expect(c.total).toBe('80');
    expect(c.parts[0]!.rolledOver).toBe(true);
  });

  it('reports a decrease and a missing value instead of inventing energy', () => {
    const dec = consumptionBetween(
      [meter1],
      values([
        [1, 'TOTAL', D1, '500'],
        [1, 'TOTAL', D2, '400'],
      ]).get,
      D1,
      D2,
    );
    expect(dec.total).toBeNull();
    expect(dec.problems).toMatchObject([{ kind: 'REGISTER_DECREASE', meterId: 1 }]);
    const gap = consumptionBetween([meter1], values([[1, 'TOTAL', D1, '500']]).get, D1, D2);
    expect(gap.total).toBeNull();
    expect(gap.problems).toMatchObject([{ kind: 'MISSING_VALUE', at: D2 }]);
  });

  it('joins a meter exchange: old final - start, plus new end - initial, each with its multiplier', () => {
    const exchange = at('2026-11-15T02:00:00Z');
    const old: MeterSpan = { ...meter1, removedAt: exchange, final: { TOTAL: '1100' } };
    const fresh: MeterSpan = {
      meterId: 2,
      multiplier: '2',
      registerDigits: 6,
      installedAt: exchange,
      initial: { TOTAL: '5' },
    };
    const v = values([
      [1, 'TOTAL', D1, '1000'],
      [2, 'TOTAL', D2, '25.5'],
    ]);
    const c = consumptionBetween([old, fresh], v.get, D1, D2);
    // (1100 - 1000) x 1 + (25.5 - 5) x 2 = 100 + 41 = 141
    expect(c.total).toBe('141');
    expect(c.parts.map((p) => [p.start.from, p.end.from])).toEqual([
      ['READING', 'REMOVAL'],
      ['INSTALLATION', 'READING'],
    ]);
    // A meter removed before the period, or installed after it, takes no part.
    expect(consumptionBetween([old], v.get, D2, at('2026-12-31T16:00:00Z')).parts).toEqual([]);
  });

  it('splits bands, flat band as total less the others, and marks estimates', () => {
    const v = values([
      [1, 'TOTAL', D1, '100'],
      [1, 'T1', D1, '10'],
      [1, 'T2', D1, '30'],
      [1, 'T3', D1, '40'],
      [1, 'T4', D1, '20'],
      [1, 'TOTAL', D2, '200.01', true],
      [1, 'T1', D2, '20'],
      [1, 'T2', D2, '60'],
      [1, 'T3', D2, '80'],
      [1, 'T4', D2, '40'],
    ]);
    const c = consumptionBetween([meter1], v.get, D1, D2);
    expect(c.total).toBe('100.01');
    expect(c.bands).toEqual({ T1: '10', T2: '30', T3: '40.01', T4: '20' });
    expect(c.estimated).toBe(true);
  });

  it('spreads a part without band values like the parts that have them', () => {
    const exchange = at('2026-11-15T02:00:00Z');
    const old: MeterSpan = { ...meter1, removedAt: exchange, final: { TOTAL: '110' } }; // no band finals
    const fresh: MeterSpan = {
      meterId: 2,
      multiplier: '1',
      registerDigits: 6,
      installedAt: exchange,
      initial: { TOTAL: '0', T1: '0', T2: '0', T3: '0', T4: '0' },
    };
    const v = values([
      [1, 'TOTAL', D1, '100'],
      [2, 'TOTAL', D2, '30'],
      [2, 'T1', D2, '3'],
      [2, 'T2', D2, '9'],
      [2, 'T3', D2, '12'],
      [2, 'T4', D2, '6'],
    ]);
    const c = consumptionBetween([old, fresh], v.get, D1, D2);
    expect(c.total).toBe('40');
    // The old meter's 10 kWh spread 10/30/40/20 %: 1, 3, 4, 2.
    expect(c.bands).toEqual({ T1: '4', T2: '12', T3: '16', T4: '8' });
  });
});

describe('allocateToBands', () => {
  it('always sums exactly to the total', () => {
    const bands = allocateToBands('10', { T1: '1', T2: '1', T3: '1', T4: '0' });
    expect(BANDS.reduce((s, b) => s.plus(bands[b]), new Dec(0)).toFixed()).toBe('10');
    expect(bands.T4).toBe('0');
    expect(allocateToBands('7', { T1: '0', T2: '0', T3: '0', T4: '0' })).toEqual({
      T1: '0',
      T2: '0',
      T3: '7',
      T4: '0',
    });
  });
});
