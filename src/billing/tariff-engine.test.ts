import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../shared/decimal.js';
import { daysBetween } from './local-days.js';
import { proratedAmount, sumMoney } from './money.js';
import {
  priceCycle,
  segmentBoundaries,
  splitByDays,
  TariffError,
  termsProblems,
  tierProgressOf,
  type CycleInput,
  type TariffTerms,
} from './tariff-engine.js';

const annual = (over: Partial<TariffTerms> = {}): TariffTerms => ({
  effectiveFrom: '2026-01-01',
  versionId: 'v1',
  flatPrice: '0.5',
  tierBasis: 'ANNUAL',
  tiers: [
    { upToKwh: '100', adder: '0' },
    { upToKwh: '200', adder: '0.05' },
    { upToKwh: null, adder: '0.3' },
  ],
  fixedCharges: [],
  surcharges: [],
  ...over,
});

const cycle = (over: Partial<CycleInput> = {}): CycleInput => ({
  cycleStart: '2026-03-01',
  cycleEnd: '2026-04-01',
  versions: [annual()],
  segments: [{ start: '2026-03-01', end: '2026-04-01', total: '50' }],
  tierUsedBefore: '0',
  ...over,
});

const kinds = (c: ReturnType<typeof priceCycle>) =>
  c.lines.map((l) => `${l.kind}:${l.quantity}x${l.unitPrice}=${l.amount}`);

describe('tariff engine: rules', () => {
  it('prices a flat tariff within tier 1 with one ENERGY line', () => {
    const c = priceCycle(cycle());
    expect(kinds(c)).toEqual(['ENERGY:50x0.5=25.00']);
    expect(c).toMatchObject({ total: '25.00', totalKwh: '50', tiers: [{ tier: 1, kwh: '50' }], tierUsedAfter: '50' });
    expect(c.lines[0]).toMatchObject({ versionId: 'v1', effectiveFrom: '2026-01-01', periodStart: '2026-03-01' });
  });

  it('splits a segment between tiers where the annual counter crosses thresholds', () => {
    const c = priceCycle(
      cycle({ tierUsedBefore: '90', segments: [{ start: '2026-03-01', end: '2026-04-01', total: '150' }] }),
    );
    // counter 90 -> 240: tier 1 10, tier 2 100, tier 3 40
    expect(kinds(c)).toEqual(['ENERGY:150x0.5=75.00', 'TIER:100x0.05=5.00', 'TIER:40x0.3=12.00']);
    expect(c.tiers).toEqual([
      { tier: 1, kwh: '10' },
      { tier: 2, kwh: '100' },
      { tier: 3, kwh: '40' },
    ]);
    expect(c.tierUsedAfter).toBe('240');
    expect(c.total).toBe('92.00');
  });

  it('prices TOU bands at their prices and the tier adders on the total', () => {
    const terms = annual({ flatPrice: undefined, bandPrices: { T2: '0.6', T4: '0.3' } });
    const c = priceCycle(
      cycle({
        versions: [terms],
        tierUsedBefore: '80',
        segments: [{ start: '2026-03-01', end: '2026-04-01', total: '50', bands: { T2: '30', T4: '20', T1: '0' } }],
      }),
    );
    expect(kinds(c)).toEqual(['ENERGY:30x0.6=18.00', 'ENERGY:20x0.3=6.00', 'TIER:30x0.05=1.50']);
    expect(c.lines.map((l) => l.band)).toEqual(['T2', 'T4', undefined]);
  });

  it('refuses consumption in a band without a price, and TOU-only terms without bands', () => {
    const terms = annual({ flatPrice: undefined, bandPrices: { T2: '0.6', T4: '0.3' } });
    const seg = { start: '2026-03-01', end: '2026-04-01', total: '50', bands: { T1: '5', T2: '45' } };
    expect(() => priceCycle(cycle({ versions: [terms], segments: [seg] }))).toThrow(/no price for band T1/);
    expect(() => priceCycle(cycle({ versions: [terms] }))).toThrow(TariffError);
  });

  it('prices a TOU meter at the flat price of a tariff without TOU', () => {
    const c = priceCycle(
      cycle({ segments: [{ start: '2026-03-01', end: '2026-04-01', total: '50', bands: { T2: '30', T4: '20' } }] }),
    );
    expect(kinds(c)).toEqual(['ENERGY:50x0.5=25.00']);
  });

  it('refuses bands that do not add up to the total, negative and malformed consumption', () => {
    const bad = (seg: object) =>
      expect(() =>
        priceCycle(cycle({ segments: [{ start: '2026-03-01', end: '2026-04-01', ...seg } as never] })),
      ).toThrow(TariffError);
    bad({ total: '50', bands: { T2: '30', T4: '21' } });
    bad({ total: '-1' });
    bad({ total: '50', bands: { T2: '60', T4: '-10' } });
    bad({ total: '1e3' });
    bad({ total: '50', bands: { T9: '50' } });
    expect(() => priceCycle(cycle({ tierUsedBefore: '-5' }))).toThrow(/tierUsedBefore/);
  });

  it('bills nothing but fixed charges for zero consumption', () => {
    const terms = annual({
      fixedCharges: [{ name: 'Meter service', amount: '3.00' }],
      surcharges: [{ name: 'Fund', perKwh: '0.02' }],
    });
    const c = priceCycle(
      cycle({ versions: [terms], segments: [{ start: '2026-03-01', end: '2026-04-01', total: '0' }] }),
    );
    expect(kinds(c)).toEqual(['FIXED:31x3.00=3.00']);
    expect(c.lines[0]!.description).toBe('Fixed: Meter service');
    expect(c).toMatchObject({ total: '3.00', totalKwh: '0', tiers: [], tierUsedAfter: '0' });
  });

  it('charges surcharges per kWh on all energy of each segment', () => {
    const terms = annual({ surcharges: [{ name: 'Renewable', perKwh: '0.019' }] });
    const c = priceCycle(
      cycle({ versions: [terms], segments: [{ start: '2026-03-01', end: '2026-04-01', total: '55' }] }),
    );
    expect(kinds(c)).toEqual(['ENERGY:55x0.5=27.50', 'SURCHARGE:55x0.019=1.05']); // 1.045 rounds up
  });

  it('refuses a cycle no version covers, and segments that do not match the boundaries', () => {
    expect(() => priceCycle(cycle({ cycleStart: '2025-12-01', cycleEnd: '2025-12-31', segments: [] }))).toThrow(
      /no tariff version is in effect on 2025-12-01/,
    );
    const v2 = annual({ effectiveFrom: '2026-03-16', versionId: 'v2' });
    expect(() => priceCycle(cycle({ versions: [annual(), v2] }))).toThrow(/segments must be exactly/);
    expect(() => priceCycle(cycle({ segments: [] }))).toThrow(/segments must be exactly/);
    expect(() => priceCycle(cycle({ cycleEnd: '2026-03-01' }))).toThrow(/not before/);
    expect(() => priceCycle(cycle({ versions: [annual(), annual()] }))).toThrow(/two tariff versions/);
  });

  it('splits at version changes and at 1 January for annual tiers only', () => {
    const v2 = annual({ effectiveFrom: '2026-12-10' });
    expect(segmentBoundaries('2026-12-01', '2027-01-05', [annual(), v2])).toEqual([
      '2026-12-01',
      '2026-12-10',
      '2027-01-01',
      '2027-01-05',
    ]);
    const monthly = annual({ tierBasis: 'MONTHLY' });
    expect(segmentBoundaries('2026-12-15', '2027-01-15', [monthly])).toEqual(['2026-12-15', '2027-01-15']);
    // a version taking effect on the cycle start or end is no split
    expect(
      segmentBoundaries('2026-03-01', '2026-04-01', [annual(), annual({ effectiveFrom: '2026-04-01' })]),
    ).toHaveLength(2);
  });

  it('restarts the annual counter on 1 January', () => {
    const c = priceCycle(
      cycle({
        cycleStart: '2026-12-15',
        cycleEnd: '2027-01-15',
        tierUsedBefore: '190',
        segments: [
          { start: '2026-12-15', end: '2027-01-01', total: '30' },
          { start: '2027-01-01', end: '2027-01-15', total: '20' },
        ],
      }),
    );
    // 190 -> 220: tier 2 10, tier 3 20; then 0 -> 20 in tier 1
    expect(kinds(c)).toEqual(['ENERGY:30x0.5=15.00', 'TIER:10x0.05=0.50', 'TIER:20x0.3=6.00', 'ENERGY:20x0.5=10.00']);
    expect(c.tierUsedAfter).toBe('20');
    // a cycle opening the tier year starts from zero
    const january = cycle({ cycleStart: '2027-01-01', cycleEnd: '2027-02-01', tierUsedBefore: '190' });
    january.segments = [{ start: '2027-01-01', end: '2027-02-01', total: '1' }];
    expect(() => priceCycle(january)).toThrow(/must be 0 for a cycle starting on 1 January/);
    expect(priceCycle({ ...january, tierUsedBefore: '0' }).tierUsedAfter).toBe('1');
  });

  it('prorates fixed charges by days over version segments, each rounded once', () => {
    const fixed = [{ name: 'Meter service', amount: '5.00' }];
    const v1 = annual({ fixedCharges: fixed });
    const v2 = annual({ effectiveFrom: '2026-03-11', versionId: 'v2', flatPrice: '0.6', fixedCharges: fixed });
    const c = priceCycle(
      cycle({
        versions: [v1, v2],
        segments: [
          { start: '2026-03-01', end: '2026-03-11', total: '10' },
          { start: '2026-03-11', end: '2026-04-01', total: '20' },
        ],
      }),
    );
    // 5 x 10/31 = 1.6129.. -> 1.61; 5 x 21/31 = 3.3870.. -> 3.39
    expect(kinds(c)).toEqual(['ENERGY:10x0.5=5.00', 'ENERGY:20x0.6=12.00', 'FIXED:10x5.00=1.61', 'FIXED:21x5.00=3.39']);
    expect(c.lines[3]).toMatchObject({ description: 'Fixed: Meter service, prorated 21/31 days', versionId: 'v2' });
  });

  it('prorates MONTHLY thresholds over the version segments of the cycle', () => {
    const m = (effectiveFrom: string, t1: string) =>
      annual({
        effectiveFrom,
        tierBasis: 'MONTHLY',
        tiers: [
          { upToKwh: t1, adder: '0' },
          { upToKwh: null, adder: '0.1' },
        ],
      });
    const input = cycle({
      versions: [m('2026-01-01', '100'), m('2026-03-11', '200')],
      tierUsedBefore: '99999', // ignored
      segments: [
        { start: '2026-03-01', end: '2026-03-11', total: '100' },
        { start: '2026-03-11', end: '2026-04-01', total: '100' },
      ],
    });
    // threshold 100 x 10/31 + 200 x 21/31 = 32.25806451.. + 135.48387096.. (each cut to 8 places) = 167.74193547
    const c = priceCycle(input);
    expect(c.tiers).toEqual([
      { tier: 1, kwh: '167.74193547' },
      { tier: 2, kwh: '32.25806453' },
    ]);
    expect(c.tierUsedAfter).toBe('200');
    // equal thresholds are not prorated at all
    const same = priceCycle({ ...input, versions: [m('2026-01-01', '150'), m('2026-03-11', '150')] });
    expect(same.tiers).toEqual([
      { tier: 1, kwh: '150' },
      { tier: 2, kwh: '50' },
    ]);
  });

  it('refuses versions of one cycle with different tier bases', () => {
    const v2 = annual({ effectiveFrom: '2026-03-16', tierBasis: 'MONTHLY' });
    const segments = [
      { start: '2026-03-01', end: '2026-03-16', total: '1' },
      { start: '2026-03-16', end: '2026-04-01', total: '1' },
    ];
    expect(() => priceCycle(cycle({ versions: [annual(), v2], segments }))).toThrow(/one tier basis/);
  });

  it('names every problem of bad terms with its path', () => {
    const problems = termsProblems(
      annual({
        flatPrice: '-1',
        bandPrices: { T2: 'abc' },
        tiers: [
          { upToKwh: '100', adder: '0' },
          { upToKwh: '50', adder: '0.05' },
          { upToKwh: '300', adder: '0.3' },
        ],
        fixedCharges: [{ name: ' ', amount: '1' }],
        surcharges: [
          { name: 'A', perKwh: '0.1' },
          { name: 'A', perKwh: '0.1' },
        ],
        effectiveFrom: '2026-02-30',
      }),
    );
    expect(problems.map((p) => p.path.join('.'))).toEqual([
      'effectiveFrom',
      'flatPrice',
      'bandPrices.T2',
      'tiers.1.upToKwh',
      'tiers.2.upToKwh',
      'fixedCharges.0.name',
      'surcharges.1.name',
    ]);
    expect(termsProblems(annual({ flatPrice: undefined }))[0]).toMatchObject({ path: ['flatPrice'] });
    expect(termsProblems(annual())).toEqual([]);
    expect(() => priceCycle(cycle({ versions: [annual({ tiers: [] })] }))).toThrow(/tiers: at least one tier/);
  });

  it('splits consumption by days exactly, the remainder on the last part', () => {
    const whole = { start: '2026-03-01', end: '2026-04-01', total: '100', bands: { T2: '60', T4: '40' } };
    const parts = splitByDays(whole, ['2026-03-01', '2026-03-11', '2026-04-01']);
    // 60 x 10/31 = 19.354838709.. cut to 19.35483870; 40 x 10/31 = 12.903225806.. cut to 12.90322580
    expect(parts).toEqual([
      { start: '2026-03-01', end: '2026-03-11', total: '32.2580645', bands: { T2: '19.3548387', T4: '12.9032258' } },
      { start: '2026-03-11', end: '2026-04-01', total: '67.7419355', bands: { T2: '40.6451613', T4: '27.0967742' } },
    ]);
    expect(
      splitByDays({ start: '2026-03-01', end: '2026-03-03', total: '3' }, ['2026-03-01', '2026-03-02', '2026-03-03']),
    ).toEqual([
      { start: '2026-03-01', end: '2026-03-02', total: '1.5' },
      { start: '2026-03-02', end: '2026-03-03', total: '1.5' },
    ]);
    expect(() => splitByDays(whole, ['2026-03-01', '2026-03-31'])).toThrow(TariffError);
    expect(() => splitByDays(whole, ['2026-03-01', '2026-03-11', '2026-03-11', '2026-04-01'])).toThrow(TariffError);
    expect(() => splitByDays({ ...whole, total: '-1', bands: undefined }, ['2026-03-01', '2026-04-01'])).toThrow(
      TariffError,
    );
  });

  it('reports the progress of a counter through the tiers', () => {
    expect(tierProgressOf(annual(), '150')).toEqual([
      { tier: 1, upToKwh: '100', usedInTier: '100', remainingInTier: '0' },
      { tier: 2, upToKwh: '200', usedInTier: '50', remainingInTier: '50' },
      { tier: 3, upToKwh: null, usedInTier: '0', remainingInTier: null },
    ]);
    expect(tierProgressOf(annual(), '0')[0]).toMatchObject({ usedInTier: '0', remainingInTier: '100' });
    expect(() => tierProgressOf(annual(), '-1')).toThrow(TariffError);
  });
});

// ---- properties ---------------------------------------------------------------------------------

const kwh = fc.integer({ min: 0, max: 5_000_000 }).map((n) => new Dec(n).dividedBy(100).toFixed()); // 0..50000.00
const price = fc.integer({ min: 0, max: 20_000 }).map((n) => new Dec(n).dividedBy(10_000).toFixed()); // 0..2.0000
const touTerms = fc
  .record({
    t1: fc.integer({ min: 1, max: 3000 }),
    t2: fc.integer({ min: 1, max: 3000 }),
    prices: fc.tuple(price, price, price, price),
    adders: fc.tuple(price, price),
    surcharge: price,
  })
  .map(({ t1, t2, prices, adders, surcharge }): TariffTerms => ({
    effectiveFrom: '2026-01-01',
    bandPrices: { T1: prices[0], T2: prices[1], T3: prices[2], T4: prices[3] },
    tierBasis: 'ANNUAL',
    tiers: [
      { upToKwh: String(t1), adder: '0' },
      { upToKwh: String(t1 + t2), adder: adders[0] },
      { upToKwh: null, adder: adders[1] },
    ],
    fixedCharges: [],
    surcharges: [{ name: 'Fund', perKwh: surcharge }],
  }));
const bands = fc.tuple(kwh, kwh, kwh, kwh).map(([T1, T2, T3, T4]) => ({ T1, T2, T3, T4 }));
const withTotal = (start: string, end: string, b: Record<string, string>) => ({
  start,
  end,
  bands: b,
  total: Object.values(b)
    .reduce((s, v) => s.plus(v), new Dec(0))
    .toFixed(),
});

describe('tariff engine: properties', () => {
  it('lines sum to the total and pricing is deterministic', () => {
    fc.assert(
      fc.property(touTerms, bands, kwh, (terms, b, before) => {
        const input = cycle({
          versions: [terms],
          tierUsedBefore: before,
          segments: [withTotal('2026-03-01', '2026-04-01', b)],
        });
        const c = priceCycle(input);
        expect(sumMoney(c.lines.map((l) => l.amount))).toBe(c.total);
        expect(priceCycle(structuredClone(input))).toEqual(c);
        expect(c.tiers.reduce((s, t) => s.plus(t.kwh), new Dec(0)).toFixed()).toBe(c.totalKwh);
      }),
    );
  });

  it('a cycle split in two, carrying the tier counter, costs the same but for the rounding of its lines', () => {
    fc.assert(
      fc.property(touTerms, bands, bands, kwh, fc.integer({ min: 1, max: 30 }), (terms, b1, b2, before, day) => {
        const mid = `2026-03-${String(day + 1).padStart(2, '0')}`;
        const a = withTotal('2026-03-01', mid, b1);
        const b = withTotal(mid, '2026-04-01', b2);
        const whole = priceCycle(
          cycle({
            versions: [terms],
            tierUsedBefore: before,
            segments: [
              withTotal(
                '2026-03-01',
                '2026-04-01',
                Object.fromEntries(Object.entries(b1).map(([k, v]) => [k, new Dec(v).plus(b2[k as 'T1']).toFixed()])),
              ),
            ],
          }),
        );
        const first = priceCycle(cycle({ versions: [terms], cycleEnd: mid, tierUsedBefore: before, segments: [a] }));
        const second = priceCycle(
          cycle({ versions: [terms], cycleStart: mid, tierUsedBefore: first.tierUsedAfter, segments: [b] }),
        );
        expect(second.tierUsedAfter).toBe(whole.tierUsedAfter);
        // The exact amounts are additive, so the totals differ only by the roundings: at most half a
        // fen per line on either side. (Half a fen per *extra* line is not a bound: one line of the
        // whole rounding down by 0.005 and its two halves rounding up by 0.005 each differ by 0.015;
        // fast-check finds such cases within a few hundred runs.)
        const lines = first.lines.length + second.lines.length + whole.lines.length;
        const diff = new Dec(first.total).plus(second.total).minus(whole.total).abs();
        expect(diff.lessThanOrEqualTo(new Dec('0.005').times(lines))).toBe(true);
        // and without any rounding (amounts at full precision), splitting changes nothing
        const exact = (c: ReturnType<typeof priceCycle>) =>
          c.lines.reduce((s, l) => s.plus(new Dec(l.quantity).times(l.unitPrice)), new Dec(0));
        expect(exact(first).plus(exact(second)).equals(exact(whole))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('splitByDays parts always sum to the whole, none negative', () => {
    fc.assert(
      fc.property(bands, fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 5 }), (b, cuts) => {
        const whole = withTotal('2026-03-01', '2026-03-31', b);
        const inner = [...cuts]
          .sort((x, y) => x - y)
          .map((d) => `2026-03-${String(d + 1).padStart(2, '0')}`)
          .filter((d) => d < '2026-03-31');
        const parts = splitByDays(whole, ['2026-03-01', ...inner, '2026-03-31']);
        expect(parts.reduce((s, p) => s.plus(p.total), new Dec(0)).toFixed()).toBe(whole.total);
        for (const p of parts) {
          expect(new Dec(p.total).isNegative()).toBe(false);
          expect(daysBetween(p.start, p.end)).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('proratedAmount of the parts of a charge sums to the charge within half a fen per part', () => {
    fc.assert(
      fc.property(price, fc.integer({ min: 1, max: 30 }), (amount, d) => {
        const sum = new Dec(proratedAmount(amount, d, 31)).plus(proratedAmount(amount, 31 - d, 31));
        expect(sum.minus(amount).abs().lessThanOrEqualTo('0.01')).toBe(true);
      }),
    );
  });
});
