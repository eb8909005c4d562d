import { describe, expect, it } from 'vitest';
import { estimateMissingDays, type KnownDay, type MissingDay } from './estimation.js';
import { addDays, localMidnight } from './local-days.js';

const day = (date: string, total: string, zone = 'Asia/Shanghai', bands?: string[]): KnownDay => ({
  date,
  midnight: localMidnight(date, zone),
  total,
  ...(bands ? { bands } : {}),
});
const gap = (date: string, zone = 'Asia/Shanghai'): MissingDay => ({ date, midnight: localMidnight(date, zone) });
const params = { interpolateMaxDays: 3 };

describe('estimateMissingDays', () => {
  it('interpolates a short gap linearly', () => {
    const known = [day('2026-03-01', '100'), day('2026-03-04', '130')];
    const out = estimateMissingDays(known, [gap('2026-03-02'), gap('2026-03-03')], params);
    expect(out.map((e) => [e.date, e.total, e.method])).toEqual([
      ['2026-03-02', '110', 'LINEAR_INTERPOLATION'],
      ['2026-03-03', '120', 'LINEAR_INTERPOLATION'],
    ]);
  });

  it('interpolates by time across a 23-hour and a 25-hour day in Europe/Berlin', () => {
    const z = 'Europe/Berlin';
    // 28 Mar 00:00 -> 30 Mar 00:00 is 47 hours; the 29th is reached after 24 of them.
    const spring = estimateMissingDays(
      [day('2026-03-28', '0', z), day('2026-03-30', '47', z)],
      [gap('2026-03-29', z)],
      params,
    );
    expect(spring[0]!.total).toBe('24');
    // 24 Oct -> 26 Oct is 49 hours; the 25th after 24 (the 25-hour day comes after it).
    const autumn = estimateMissingDays(
      [day('2026-10-25', '0', z), day('2026-10-27', '49', z)],
      [gap('2026-10-26', z)],
      params,
    );
    expect(autumn[0]!.total).toBe('25');
  });

  it('uses like days for a longer gap, scaled to the next actual value', () => {
    // Four weeks of history: 10 kWh a day on weekdays, 30 on Saturdays and Sundays.
    const start = '2026-03-02'; // a Monday
    const known: KnownDay[] = [];
    let value = 1000;
    for (let i = 0; i < 28; i++) {
      const date = addDays(start, i);
      known.push(day(date, String(value)));
      const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
      value += dow === 0 || dow === 6 ? 30 : 10;
    }
    // A week missing (Mon 30 Mar .. Sun 5 Apr), then the actual value after it, exactly 110 kWh on.
    const last = Number(known.at(-1)!.total) + 10; // the value on Mon 30 Mar would have been this
    known.push(day('2026-04-06', String(last - 10 + 110)));
    const missing = Array.from({ length: 7 }, (_, i) => gap(addDays('2026-03-30', i)));
    const out = estimateMissingDays(known, missing, params);
    expect(out).toHaveLength(7);
    expect(out.every((e) => e.method === 'LIKE_DAY')).toBe(true);
    // The gap's energy (Sun 29 .. Sun 5) is 110 = the like-day profile 30+10*5+30+30 = 140, scaled by 110/140.
    const base = last - 10;
    const values = out.map((e) => Number(e.total) - base);
    expect(values[0]).toBeCloseTo((30 * 110) / 140, 3);
    expect(values[5]).toBeCloseTo((80 * 110) / 140, 3); // Sat 4 Apr: Sun + five weekdays before it
    // Never beyond the next actual value, and rising.
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
    expect(values.at(-1)!).toBeLessThan(110);
  });

  it('extends a trailing gap with the average daily use of the last 30 days', () => {
    const known = Array.from({ length: 31 }, (_, i) => day(addDays('2026-03-01', i), String(100 + i * 4)));
    const out = estimateMissingDays(known, [gap('2026-04-01'), gap('2026-04-03')], params);
    expect(out.map((e) => [e.total, e.method])).toEqual([
      ['224', 'AVERAGE_DAILY_USE'],
      ['232', 'AVERAGE_DAILY_USE'],
    ]);
  });

  it('splits the bands in the proportions of their history, adding up to the total exactly', () => {
    const known = [
      day('2026-03-01', '100', undefined, ['10', '20', '30', '40']),
      day('2026-03-11', '200', undefined, ['20', '40', '60', '80']),
    ];
    const [e] = estimateMissingDays(known, [gap('2026-03-12')], params);
    expect(e!.total).toBe('210');
    expect(e!.bands).toEqual(['21', '42', '63', '84']);
    const thirds = estimateMissingDays(
      [
        day('2026-03-01', '0', undefined, ['0', '0', '0', '0']),
        day('2026-03-02', '3', undefined, ['1', '1', '1', '0']),
      ],
      [gap('2026-03-03')],
      params,
    )[0]!;
    expect(thirds.bands!.reduce((s, b) => s + Number(b), 0)).toBeCloseTo(Number(thirds.total), 10);
  });

  it('never estimates over an actual value, before the first one, or across a decrease', () => {
    const known = [day('2026-03-02', '100'), day('2026-03-04', '90')];
    expect(estimateMissingDays(known, [gap('2026-03-01'), gap('2026-03-02'), gap('2026-03-03')], params)).toEqual([]);
  });

  it('leaves a long gap alone when there is no like-day history', () => {
    const known = [day('2026-03-01', '100'), day('2026-03-10', '190')];
    expect(estimateMissingDays(known, [gap('2026-03-05')], params)).toEqual([]);
  });
});
