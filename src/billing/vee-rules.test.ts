import { describe, expect, it } from 'vitest';
import { ReadingFlag } from '../shared/reading-flags.js';
import { addDays, localMidnight } from './local-days.js';
import { DEFAULT_VEE_PARAMS, validateDailyValues, type DailyValues } from './vee-rules.js';

const ZONE = 'Asia/Shanghai';
const meter = { registerDigits: 6, multiplier: '1', contractedCapacity: '10' };

/** Daily totals from 2026-03-01, one per day; `null` leaves the day out. Ids are "t<index>". */
function series(totals: (string | null)[], zone = ZONE, start = '2026-03-01'): DailyValues[] {
  return totals.flatMap((value, i) => {
    if (value === null) return [];
    const date = addDays(start, i);
    const midnight = localMidnight(date, zone);
    return [{ date, midnight, total: { id: `t${i}`, value, measuredAt: midnight }, bands: [] }];
  });
}

/** Steady use of `perDay` kWh for `n` days from `from`. */
const steady = (n: number, perDay: number, from = 1000) =>
  Array.from({ length: n }, (_, i) => String(from + i * perDay));

describe('validateDailyValues', () => {
  it('passes a steady series', () => {
    const flags = validateDailyValues(series(steady(20, 10)), meter, DEFAULT_VEE_PARAMS);
    expect([...flags.values()].every((f) => f === 0)).toBe(true);
    expect(flags.size).toBe(20);
  });

  it('flags a decrease on the lower value only, and compares the next one with the last good value', () => {
    const flags = validateDailyValues(series(['100', '110', '90', '120']), meter, DEFAULT_VEE_PARAMS);
    expect(flags.get('t2')).toBe(ReadingFlag.REGISTER_DECREASE);
    expect(flags.get('t3')).toBe(0);
  });

  it('marks a rollover at the register width as ROLLOVER, not a decrease, and counts the energy across it', () => {
    const flags = validateDailyValues(
      series(['999980', '999990', '5', '15']),
      { registerDigits: 6, multiplier: '1' },
      DEFAULT_VEE_PARAMS,
    );
    expect(flags.get('t2')).toBe(ReadingFlag.ROLLOVER);
    expect(flags.get('t3')).toBe(0);
  });

  it('flags a spike above factor x median and above the minimum, not a small one', () => {
    const values = [...steady(15, 10), '1200']; // 1140 -> 1200 is 60 kWh against a median of 10
    expect(validateDailyValues(series(values), meter, DEFAULT_VEE_PARAMS).get('t15')).toBe(ReadingFlag.SPIKE);
    const small = [...steady(15, 0.5).map((v) => String(Number(v))), '1011']; // 4 kWh: under spikeMinKwh
    expect(validateDailyValues(series(small), meter, DEFAULT_VEE_PARAMS).get('t15')).toBe(0);
    // The multiplier counts: 4 register kWh x 40 is a spike.
    const big = validateDailyValues(series(small), { ...meter, multiplier: '40' }, DEFAULT_VEE_PARAMS);
    expect(big.get('t15')).toBe(ReadingFlag.SPIKE);
  });

  it('needs three days of history before it calls anything a spike', () => {
    const spike = validateDailyValues(series(['0', '1', '2', '3', '500']), meter, DEFAULT_VEE_PARAMS);
    expect(spike.get('t4')).toBe(ReadingFlag.SPIKE);
    expect(validateDailyValues(series(['0', '1', '2', '500']), meter, DEFAULT_VEE_PARAMS).get('t3')).toBe(0);
  });

  it('flags zero consumption from the zeroDays-th consecutive day, not shorter runs or across a gap', () => {
    const flags = validateDailyValues(series(['10', '20', '20', '20', '20', '22']), meter, DEFAULT_VEE_PARAMS);
    expect(['t2', 't3', 't4', 't5'].map((id) => flags.get(id))).toEqual([
      ReadingFlag.ZERO_CONSUMPTION,
      ReadingFlag.ZERO_CONSUMPTION,
      ReadingFlag.ZERO_CONSUMPTION,
      0,
    ]);
    const short = validateDailyValues(series(['10', '20', '20', '20', '22']), meter, DEFAULT_VEE_PARAMS);
    expect([...short.values()].every((f) => f === 0)).toBe(true);
    const gap = validateDailyValues(series(['10', '20', '20', null, '20', '20']), meter, DEFAULT_VEE_PARAMS);
    expect([...gap.values()].every((f) => f === 0)).toBe(true);
  });

  it('flags a TOU sum that misses the total by more than the tolerance', () => {
    const midnight = localMidnight('2026-03-01', ZONE);
    const v = (id: string, value: string) => ({ id, value, measuredAt: midnight });
    const day = (t4: string): DailyValues => ({
      date: '2026-03-01',
      midnight,
      total: v('total', '100.00'),
      bands: [v('b1', '10'), v('b2', '20'), v('b3', '30'), v('b4', t4)],
    });
    expect(validateDailyValues([day('40.02')], meter, DEFAULT_VEE_PARAMS).get('total')).toBe(0);
    expect(validateDailyValues([day('40.03')], meter, DEFAULT_VEE_PARAMS).get('total')).toBe(
      ReadingFlag.TOU_SUM_MISMATCH,
    );
    // An incomplete set of bands is not compared.
    const partial = { ...day('99'), bands: [v('b1', '10'), undefined, undefined, undefined] };
    expect(validateDailyValues([partial], meter, DEFAULT_VEE_PARAMS).get('total')).toBe(0);
  });

  it('flags a value measured too far from its local midnight', () => {
    const [day] = series(['100']);
    const late = (seconds: number): DailyValues => ({
      ...day!,
      total: { ...day!.total!, measuredAt: new Date(day!.midnight.getTime() + seconds * 1000) },
    });
    expect(validateDailyValues([late(300)], meter, DEFAULT_VEE_PARAMS).get('t0')).toBe(0);
    expect(validateDailyValues([late(301)], meter, DEFAULT_VEE_PARAMS).get('t0')).toBe(ReadingFlag.CLOCK);
    expect(validateDailyValues([late(-301)], meter, DEFAULT_VEE_PARAMS).get('t0')).toBe(ReadingFlag.CLOCK);
  });

  it('flags maximum demand over capacity x K, with the multiplier, and not without a contract', () => {
    const [day] = series(['100']);
    const demand = (value: string): DailyValues => ({
      ...day!,
      maxDemand: { id: 'md', value, measuredAt: day!.midnight },
    });
    expect(validateDailyValues([demand('12')], meter, DEFAULT_VEE_PARAMS).get('md')).toBe(0);
    expect(validateDailyValues([demand('12.0001')], meter, DEFAULT_VEE_PARAMS).get('md')).toBe(
      ReadingFlag.DEMAND_OVER_CAPACITY,
    );
    expect(validateDailyValues([demand('0.31')], { ...meter, multiplier: '40' }, DEFAULT_VEE_PARAMS).get('md')).toBe(
      ReadingFlag.DEMAND_OVER_CAPACITY,
    );
    const noContract = { registerDigits: 6, multiplier: '1' };
    expect(validateDailyValues([demand('9999')], noContract, DEFAULT_VEE_PARAMS).get('md')).toBe(0);
  });

  it('applies only the enabled rules', () => {
    const flags = validateDailyValues(series(['100', '90']), meter, DEFAULT_VEE_PARAMS, ['SPIKE']);
    expect(flags.get('t1')).toBe(0);
  });

  it('counts a 23-hour and a 25-hour day in Europe/Berlin as one day each', () => {
    // 2026-03-29 has 23 hours, 2026-10-25 has 25: consumption per day stays per calendar day.
    const spring = series(steady(20, 10), 'Europe/Berlin', '2026-03-20');
    const autumn = series(steady(20, 10), 'Europe/Berlin', '2026-10-16');
    const hours = (d: DailyValues[], i: number) =>
      (d[i + 1]!.midnight.getTime() - d[i]!.midnight.getTime()) / 3_600_000;
    expect(hours(spring, 9)).toBe(23);
    expect(hours(autumn, 9)).toBe(25);
    for (const days of [spring, autumn]) {
      const flags = validateDailyValues(days, meter, DEFAULT_VEE_PARAMS);
      expect([...flags.values()].every((f) => f === 0)).toBe(true);
    }
  });
});
