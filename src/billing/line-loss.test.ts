import { describe, expect, it } from 'vitest';
import { RegisterValues, type MeterSpan } from './consumption.js';
import { areaLineLoss, isQualified, lossBalance, lossRatePercent, type AreaMetering } from './line-loss.js';
import { localMidnight } from './local-days.js';

const ZONE = 'Asia/Shanghai';
const start = localMidnight('2026-11-01', ZONE);
const end = localMidnight('2026-12-01', ZONE);
const before = localMidnight('2026-10-02', ZONE);

const span = (meterId: number, multiplier = '1'): MeterSpan => ({ meterId, multiplier, registerDigits: 6 });

/** Register values per meter: [at start, at end] (and optionally at the history start). */
function valuesOf(table: Record<number, (string | undefined)[]>, instants = [start, end, before]) {
  const values = new RegisterValues();
  for (const [meter, list] of Object.entries(table))
    list.forEach((v, i) => {
      if (v !== undefined) values.set(Number(meter), 'TOTAL', instants[i]!, { value: v, estimated: false });
    });
  return values;
}

/** Supply meter 1 (CT 10) and two customers: service points 10 and 20 with meters 11 and 21. */
const area = (extra: Partial<AreaMetering> = {}): AreaMetering => ({
  supply: span(1, '10'),
  customers: [
    { servicePointId: 10, meterId: 11, customerId: 100, spans: [span(11)], contractedCapacity: '8' },
    { servicePointId: 20, meterId: 21, customerId: 200, spans: [span(21)], contractedCapacity: '8' },
  ],
  ...extra,
});

describe('line loss of a transformer area', () => {
  it('supply 1050 kWh, customers 1000 kWh: 50 kWh lost, 4.76 %, qualified in the default band', () => {
    // The supply register moves 105 under a CT of 10; the customers use 600 and 400 kWh.
    const values = valuesOf({ 1: ['1000', '1105'], 11: ['500', '1100'], 21: ['20.5', '420.5'] });
    const r = lossBalance(area(), values.get, start, end);
    expect(r).toMatchObject({
      status: 'OK',
      supplyKwh: '1050',
      customersKwh: '1000',
      lossKwh: '50',
      lossRate: '4.76',
      qualified: true,
      band: { min: '0', max: '7' },
      meterCount: 2,
      includedCount: 2,
      excluded: [],
    });
  });

  it('excludes a meter with a missing value, lists it with the reason, and names it a suspect', () => {
    const values = valuesOf({ 1: ['1000', '1105'], 11: ['500', '1100'], 21: ['20.5', undefined] });
    const r = areaLineLoss(area(), values.get, start, end);
    expect(r.customersKwh).toBe('600');
    expect(r.includedCount).toBe(1);
    expect(r.excluded).toEqual([
      { servicePointId: 20, meterId: 21, customerId: 200, reason: 'MISSING_VALUE', detail: expect.any(String) },
    ]);
    // 450 of 1050 kWh unaccounted for: not qualified.
    expect(r.lossRate).toBe('42.86');
    expect(r.qualified).toBe(false);
    // Expected energy without history: the area's mean over the included meters (600 kWh).
    expect(r.suspects).toEqual([
      expect.objectContaining({ meterId: 21, kind: 'MISSING_DATA', score: '600', customerId: 200 }),
    ]);
  });

  it('ranks a stopped meter by the energy it used before, above smaller suspects', () => {
    const a = area();
    a.customers.push({ servicePointId: 30, meterId: 31, spans: [span(31)] });
    a.customers.push({ servicePointId: 40, meterId: 41, spans: [span(41)], wrongAreaAlarm: true });
    const values = valuesOf({
      // [start, end, history start]
      1: ['1000', '1105', '900'],
      11: ['500', '1100', '0'],
      21: ['20.5', '420.5'],
      31: ['300', '300', '0'], // 300 kWh last period, nothing this one
      41: ['10', '60'], // 50 kWh, counted here though alarmed as in the wrong area
    });
    const r = areaLineLoss(a, values.get, start, end, before);
    expect(r.suspects.map((s) => [s.meterId, s.kind, s.score])).toEqual([
      [31, 'STOPPED', '300'],
      [41, 'WRONG_AREA', '50'],
    ]);
    expect(r.suspects[0]!.detail).toContain('previous period');
    // Customers now use more than the supply: negative loss, never qualified.
    expect(r.lossKwh).toBe('0');
    expect(new Set(r.suspects.map((s) => s.servicePointId))).toEqual(new Set([30, 40]));
  });

  it('does not qualify a negative loss, whatever the band', () => {
    const values = valuesOf({ 1: ['1000', '1095'], 11: ['500', '1100'], 21: ['20.5', '420.5'] });
    const r = lossBalance(area({ band: { min: '-10', max: '10' } }), values.get, start, end);
    expect(r.lossKwh).toBe('-50');
    expect(r.lossRate).toBe('-5.26');
    expect(r.qualified).toBe(false);
  });

  it('compares the displayed rate (2 decimals, half up) with the band, ends included', () => {
    expect(lossRatePercent('10', '200000')).toBe('0.01'); // 0.005 % rounds half up, not to even
    expect(lossRatePercent('7004', '100000')).toBe('7.00');
    expect(lossRatePercent('7005', '100000')).toBe('7.01');
    const band = { min: '0', max: '7' };
    expect(isQualified('7004', '7.00', band)).toBe(true);
    expect(isQualified('7005', '7.01', band)).toBe(false);
    expect(isQualified('0', '0.00', band)).toBe(true);
  });

  it('cannot compute the loss without a supply meter, its values, or its energy', () => {
    const values = valuesOf({ 1: ['1000', undefined], 11: ['500', '1100'], 21: ['20.5', '420.5'] });
    expect(lossBalance(area({ supply: undefined }), values.get, start, end)).toMatchObject({
      status: 'NO_SUPPLY_METER',
      lossRate: null,
      qualified: false,
      customersKwh: '1000',
    });
    const missing = lossBalance(area(), values.get, start, end);
    expect(missing).toMatchObject({ status: 'SUPPLY_MISSING_DATA', supplyKwh: null, qualified: false });
    expect(missing.statusDetail).toContain('meter 1');
    const still = valuesOf({ 1: ['1000', '1000'], 11: ['500', '1100'], 21: ['20.5', '420.5'] });
    expect(lossBalance(area(), still.get, start, end)).toMatchObject({
      status: 'NO_SUPPLY_ENERGY',
      supplyKwh: '0',
      lossKwh: null,
    });
  });

  it('counts a customer across a meter exchange, through consumptionBetween', () => {
    const mid = new Date((start.getTime() + end.getTime()) / 2);
    const a = area();
    a.customers[1] = {
      servicePointId: 20,
      meterId: 22,
      spans: [
        { ...span(21), installedAt: new Date(0), initial: { TOTAL: '0' }, removedAt: mid, final: { TOTAL: '220.5' } },
        { ...span(22), installedAt: mid, initial: { TOTAL: '0' } },
      ],
    };
    // Meter 21: 200 kWh up to its removal; meter 22: 200 kWh since.
    const values = valuesOf({ 1: ['1000', '1105'], 11: ['500', '1100'], 21: ['20.5'], 22: [undefined, '200'] });
    expect(lossBalance(a, values.get, start, end)).toMatchObject({ customersKwh: '1000', lossRate: '4.76' });
  });

  describe('local days of Europe/Berlin', () => {
    const zone = 'Europe/Berlin';
    it('a 23-hour and a 25-hour day are each one day, and the days add up to their span', () => {
      for (const [from, to, next, hours] of [
        ['2026-03-28', '2026-03-29', '2026-03-30', 23],
        ['2026-10-24', '2026-10-25', '2026-10-26', 25],
      ] as const) {
        const [a0, a1, a2] = [from, to, next].map((d) => localMidnight(d, zone)) as [Date, Date, Date];
        const values = valuesOf({ 1: ['0', '50', '105'], 11: ['0', '30', '60'], 21: ['0', '17', '40'] }, [a0, a1, a2]);
        const day = lossBalance(area(), values.get, a1, a2);
        expect(day.hours).toBe(hours);
        const both = lossBalance(area(), values.get, a0, a2);
        const first = lossBalance(area(), values.get, a0, a1);
        expect(Number(first.lossKwh) + Number(day.lossKwh)).toBe(Number(both.lossKwh));
        expect(both).toMatchObject({ supplyKwh: '1050', customersKwh: '100' });
      }
    });

    it("a flying meter's capacity limit counts the day's real hours", () => {
      // 1 kVA x hours x 1.2: 27.6 kWh on the 23-hour day, 30 kWh on the 25-hour day.
      const a: AreaMetering = {
        supply: span(1),
        customers: [{ servicePointId: 10, meterId: 11, spans: [span(11)], contractedCapacity: '1' }],
      };
      const short = [localMidnight('2026-03-29', zone), localMidnight('2026-03-30', zone)] as const;
      const long = [localMidnight('2026-10-25', zone), localMidnight('2026-10-26', zone)] as const;
      for (const [[s, e], flying] of [
        [short, true],
        [long, false],
      ] as const) {
        const values = valuesOf({ 1: ['0', '30'], 11: ['0', '28'] }, [s, e]);
        const r = areaLineLoss(a, values.get, s, e);
        expect(r.suspects.some((x) => x.kind === 'FLYING')).toBe(flying);
      }
      const values = valuesOf({ 1: ['0', '30'], 11: ['0', '28'] }, [...short]);
      expect(areaLineLoss(a, values.get, ...short).suspects[0]).toMatchObject({ kind: 'FLYING', score: '0.4' });
    });
  });

  it('flags a meter far above its own history', () => {
    const values = valuesOf({ 1: ['1000', '1105', '990'], 11: ['500', '1100', '400'], 21: ['20.5', '420.5'] });
    const r = areaLineLoss(area(), values.get, start, end, before);
    // Meter 11: 600 kWh against 100 before: 100 kWh above 5 x 100.
    expect(r.suspects).toEqual([expect.objectContaining({ meterId: 11, kind: 'FLYING', score: '100' })]);
  });
});
