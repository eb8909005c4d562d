import { describe, expect, it } from 'vitest';
import { priceCycle, type TariffTerms } from './tariff-engine.js';

/**
 * Golden cases: expected amounts worked out by hand from published tariff tables, line by line, in
 * the comments. Rounding rule (money.ts): each line = quantity × unit price, half up to the fen;
 * total = exact sum of lines. Where a case needs a figure the table does not give, it is marked
 * ASSUMPTION.
 */

const lines = (c: ReturnType<typeof priceCycle>) =>
  c.lines.map((l) => [l.kind, l.band ?? l.tier ?? '', l.quantity, l.unitPrice, l.amount, l.periodStart, l.periodEnd]);

// 广西壮族自治区居民生活用电阶梯电价 (Guangxi residential tiered tariff, "一户一表" customers, table in
// force since the 2012 tiered-tariff reform, base price 0.5283 CNY/kWh as published since 2017):
// annual tiers 0-2760 kWh at the base price, 2761-4800 kWh +0.05, above 4800 kWh +0.30.
const guangxi: TariffTerms = {
  effectiveFrom: '2026-01-01',
  versionId: 'gx-2026',
  flatPrice: '0.5283',
  tierBasis: 'ANNUAL',
  tiers: [
    { upToKwh: '2760', adder: '0' },
    { upToKwh: '4800', adder: '0.05' },
    { upToKwh: null, adder: '0.30' },
  ],
  fixedCharges: [],
  surcharges: [],
};

// 浙江省居民生活用电阶梯电价与峰谷电价 (Zhejiang residential tiered + TOU tariff, table of the 2012
// reform as published by State Grid Zhejiang): annual tiers 0-2760 / 2761-4800 / >4800 kWh; TOU
// peak (08:00-22:00) 0.568 and valley (22:00-08:00) 0.288 CNY/kWh in tier 1, 0.618 / 0.338 in
// tier 2, 0.868 / 0.588 in tier 3, i.e. band price + 0.05 / + 0.30 per tier: additive as ADR 0014.
// The two bands map to T2 (peak) and T4 (valley).
const zhejiang: TariffTerms = {
  effectiveFrom: '2026-01-01',
  versionId: 'zj-2026',
  bandPrices: { T2: '0.568', T4: '0.288' },
  tierBasis: 'ANNUAL',
  tiers: [
    { upToKwh: '2760', adder: '0' },
    { upToKwh: '4800', adder: '0.05' },
    { upToKwh: null, adder: '0.30' },
  ],
  fixedCharges: [],
  surcharges: [],
};

// 广东省居民生活用电阶梯电价 (Guangdong residential tiered tariff, 2012 table, Pearl River Delta
// base price 0.68 CNY/kWh): MONTHLY tiers; summer months (May-October) 0-260 / 261-600 / >600 kWh,
// other months 0-200 / 201-400 / >400 kWh; +0.05 and +0.30 on tiers 2 and 3.
// ASSUMPTION: the seasons are modelled as two tariff versions (non-summer from 1 January, summer
// from 1 May); a cycle across 1 May gets thresholds prorated by days, as a version change does.
const guangdongWinter: TariffTerms = {
  effectiveFrom: '2026-01-01',
  versionId: 'gd-winter',
  flatPrice: '0.68',
  tierBasis: 'MONTHLY',
  tiers: [
    { upToKwh: '200', adder: '0' },
    { upToKwh: '400', adder: '0.05' },
    { upToKwh: null, adder: '0.30' },
  ],
  fixedCharges: [],
  surcharges: [],
};
const guangdongSummer: TariffTerms = {
  ...guangdongWinter,
  effectiveFrom: '2026-05-01',
  versionId: 'gd-summer',
  tiers: [
    { upToKwh: '260', adder: '0' },
    { upToKwh: '600', adder: '0.05' },
    { upToKwh: null, adder: '0.30' },
  ],
};

describe('tariff golden cases', () => {
  it('(a) Guangxi: the annual counter crosses both thresholds inside one cycle', () => {
    // Used this year before the cycle: 2700 kWh. Cycle 2026-06-01..2026-07-01: 2200 kWh.
    // Counter 2700 -> 4900: tier 1 2760-2700 = 60; tier 2 4800-2760 = 2040; tier 3 4900-4800 = 100.
    // ENERGY 2200 x 0.5283 = 1162.26
    // TIER 2 2040 x 0.05  =  102.00
    // TIER 3  100 x 0.30  =   30.00
    // total 1162.26 + 102.00 + 30.00 = 1294.26
    const c = priceCycle({
      cycleStart: '2026-06-01',
      cycleEnd: '2026-07-01',
      versions: [guangxi],
      segments: [{ start: '2026-06-01', end: '2026-07-01', total: '2200' }],
      tierUsedBefore: '2700',
    });
    expect(lines(c)).toEqual([
      ['ENERGY', '', '2200', '0.5283', '1162.26', '2026-06-01', '2026-07-01'],
      ['TIER', 2, '2040', '0.05', '102.00', '2026-06-01', '2026-07-01'],
      ['TIER', 3, '100', '0.30', '30.00', '2026-06-01', '2026-07-01'],
    ]);
    expect(c.total).toBe('1294.26');
    expect(c.tiers).toEqual([
      { tier: 1, kwh: '60' },
      { tier: 2, kwh: '2040' },
      { tier: 3, kwh: '100' },
    ]);
    expect(c.tierUsedAfter).toBe('4900');
  });

  it('(b) Zhejiang: TOU bands within tiers', () => {
    // Used before: 2700 kWh. Cycle 2026-07-01..2026-08-01: peak 120.5 + valley 79.5 = 200 kWh.
    // Counter 2700 -> 2900: tier 1 60 kWh, tier 2 140 kWh.
    // ENERGY peak   120.5 x 0.568 = 68.444  -> 68.44
    // ENERGY valley  79.5 x 0.288 = 22.896  -> 22.90
    // TIER 2          140 x 0.05  =  7.00
    // total 68.44 + 22.90 + 7.00 = 98.34
    // Check against the published per-tier prices (any split of the 140 tier-2 kWh over the bands
    // gives the same exact sum): e.g. tier 1 = 60 peak at 0.568 = 34.08; tier 2 = 60.5 peak at
    // 0.618 = 37.389 and 79.5 valley at 0.338 = 26.871; 34.08 + 37.389 + 26.871 = 98.34.
    const c = priceCycle({
      cycleStart: '2026-07-01',
      cycleEnd: '2026-08-01',
      versions: [zhejiang],
      segments: [{ start: '2026-07-01', end: '2026-08-01', total: '200', bands: { T2: '120.5', T4: '79.5' } }],
      tierUsedBefore: '2700',
    });
    expect(lines(c)).toEqual([
      ['ENERGY', 'T2', '120.5', '0.568', '68.44', '2026-07-01', '2026-08-01'],
      ['ENERGY', 'T4', '79.5', '0.288', '22.90', '2026-07-01', '2026-08-01'],
      ['TIER', 2, '140', '0.05', '7.00', '2026-07-01', '2026-08-01'],
    ]);
    expect(c.total).toBe('98.34');
  });

  it('(c) a price change in the middle of a cycle, with a prorated fixed charge', () => {
    // ASSUMPTION: Guangxi's base price rises by 0.01 to 0.5383 from 2026-06-11 (hypothetical), and
    // both versions carry a hypothetical fixed charge of 5.00 CNY per cycle.
    // Cycle 2026-06-01..2026-07-01 (30 days); used before 1000 kWh, so all in tier 1.
    // Segment 2026-06-01..06-11 (10 days): 70 kWh; segment 06-11..07-01 (20 days): 140 kWh.
    // ENERGY  70 x 0.5283 = 36.981 -> 36.98
    // ENERGY 140 x 0.5383 = 75.362 -> 75.36
    // FIXED 5.00 x 10/30 = 1.6666.. -> 1.67
    // FIXED 5.00 x 20/30 = 3.3333.. -> 3.33
    // total 36.98 + 75.36 + 1.67 + 3.33 = 117.34
    const fixed = [{ name: 'Meter service', amount: '5.00' }];
    const v1 = { ...guangxi, fixedCharges: fixed };
    const v2 = {
      ...guangxi,
      effectiveFrom: '2026-06-11',
      versionId: 'gx-2026-06',
      flatPrice: '0.5383',
      fixedCharges: fixed,
    };
    const c = priceCycle({
      cycleStart: '2026-06-01',
      cycleEnd: '2026-07-01',
      versions: [v2, v1],
      segments: [
        { start: '2026-06-01', end: '2026-06-11', total: '70' },
        { start: '2026-06-11', end: '2026-07-01', total: '140' },
      ],
      tierUsedBefore: '1000',
    });
    expect(lines(c)).toEqual([
      ['ENERGY', '', '70', '0.5283', '36.98', '2026-06-01', '2026-06-11'],
      ['ENERGY', '', '140', '0.5383', '75.36', '2026-06-11', '2026-07-01'],
      ['FIXED', '', '10', '5.00', '1.67', '2026-06-01', '2026-06-11'],
      ['FIXED', '', '20', '5.00', '3.33', '2026-06-11', '2026-07-01'],
    ]);
    expect(c.lines.map((l) => l.versionId)).toEqual(['gx-2026', 'gx-2026-06', 'gx-2026', 'gx-2026-06']);
    expect(c.total).toBe('117.34');
  });

  it('(c2) Guangdong: monthly thresholds prorated over a season change inside a cycle', () => {
    // Cycle 2026-04-16..2026-05-16 (30 days): 15 days non-summer, 15 days summer.
    // tier 1 threshold 200 x 15/30 + 260 x 15/30 = 100 + 130 = 230 kWh
    // tier 2 threshold 400 x 15/30 + 600 x 15/30 = 200 + 300 = 500 kWh
    // Consumption 04-16..05-01: 200 kWh; 05-01..05-16: 350 kWh.
    // Counter 0 -> 200: tier 1 200. Counter 200 -> 550: tier 1 30, tier 2 270, tier 3 50.
    // ENERGY 200 x 0.68 = 136.00
    // ENERGY 350 x 0.68 = 238.00
    // TIER 2 270 x 0.05 =  13.50
    // TIER 3  50 x 0.30 =  15.00
    // total 136.00 + 238.00 + 13.50 + 15.00 = 402.50
    const c = priceCycle({
      cycleStart: '2026-04-16',
      cycleEnd: '2026-05-16',
      versions: [guangdongWinter, guangdongSummer],
      segments: [
        { start: '2026-04-16', end: '2026-05-01', total: '200' },
        { start: '2026-05-01', end: '2026-05-16', total: '350' },
      ],
      tierUsedBefore: '0',
    });
    expect(lines(c)).toEqual([
      ['ENERGY', '', '200', '0.68', '136.00', '2026-04-16', '2026-05-01'],
      ['ENERGY', '', '350', '0.68', '238.00', '2026-05-01', '2026-05-16'],
      ['TIER', 2, '270', '0.05', '13.50', '2026-05-01', '2026-05-16'],
      ['TIER', 3, '50', '0.30', '15.00', '2026-05-01', '2026-05-16'],
    ]);
    expect(c.total).toBe('402.50');
    expect(c.tierUsedAfter).toBe('550');
  });

  it('(d) a meter exchange: the two meters consumption summed by the caller', () => {
    // Cycle 2026-03-01..2026-04-01, Guangxi, multiplier 1, used before 500 kWh (tier 1).
    // Old meter: start 12345.67, final reading at removal 12400.12 -> 54.45 kWh.
    // New meter: initial reading at installation 0.50, end 120.05 -> 119.55 kWh.
    // Consumption 54.45 + 119.55 = 174.00 kWh.
    // ENERGY 174.00 x 0.5283 = 91.9242 -> 91.92; total 91.92
    const c = priceCycle({
      cycleStart: '2026-03-01',
      cycleEnd: '2026-04-01',
      versions: [guangxi],
      segments: [{ start: '2026-03-01', end: '2026-04-01', total: '174.00' }],
      tierUsedBefore: '500',
    });
    expect(lines(c)).toEqual([['ENERGY', '', '174', '0.5283', '91.92', '2026-03-01', '2026-04-01']]);
    expect(c.total).toBe('91.92');
    expect(c.tierUsedAfter).toBe('674');
  });

  it('(e) a register rollover on a commercial TOU meter with a multiplier', () => {
    // ASSUMPTION: an illustrative commercial TOU tariff (no tiers), peak 0.9373, flat 0.6249,
    // valley 0.3125 CNY/kWh and a fund surcharge of 0.02913 CNY/kWh; the figures are not a
    // published table. Meter on a 150/5 A CT: multiplier 30; 6-digit register (999999.99).
    // Total register 999950.00 -> 000030.00: (1000000.00 - 999950.00) + 30.00 = 80.00; x 30 = 2400 kWh.
    // Band registers (deltas after their own rollovers): peak 26.00, flat 34.00, valley 20.00
    // (sum 80.00): x 30 = 780, 1020, 600 kWh (sum 2400).
    // ENERGY peak   780 x 0.9373 = 731.094 -> 731.09
    // ENERGY flat  1020 x 0.6249 = 637.398 -> 637.40
    // ENERGY valley 600 x 0.3125 = 187.50
    // SURCHARGE    2400 x 0.02913 = 69.912 -> 69.91
    // total 731.09 + 637.40 + 187.50 + 69.91 = 1625.90
    const commercial: TariffTerms = {
      effectiveFrom: '2026-01-01',
      bandPrices: { T2: '0.9373', T3: '0.6249', T4: '0.3125' },
      tierBasis: 'MONTHLY',
      tiers: [{ upToKwh: null, adder: '0' }],
      fixedCharges: [],
      surcharges: [{ name: 'Government funds', perKwh: '0.02913' }],
    };
    const c = priceCycle({
      cycleStart: '2026-09-01',
      cycleEnd: '2026-10-01',
      versions: [commercial],
      segments: [
        { start: '2026-09-01', end: '2026-10-01', total: '2400', bands: { T2: '780', T3: '1020', T4: '600' } },
      ],
      tierUsedBefore: '0',
    });
    expect(lines(c)).toEqual([
      ['ENERGY', 'T2', '780', '0.9373', '731.09', '2026-09-01', '2026-10-01'],
      ['ENERGY', 'T3', '1020', '0.6249', '637.40', '2026-09-01', '2026-10-01'],
      ['ENERGY', 'T4', '600', '0.3125', '187.50', '2026-09-01', '2026-10-01'],
      ['SURCHARGE', '', '2400', '0.02913', '69.91', '2026-09-01', '2026-10-01'],
    ]);
    expect(c.total).toBe('1625.90');
  });
});
