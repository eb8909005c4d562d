import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../shared/decimal.js';
import {
  aggregateSettlement,
  countByStatus,
  currentVersions,
  type ReportBill,
  type ReportBillStatus,
  type ReportLine,
} from './settlement-report.js';

const bill = (over: Partial<ReportBill> & Pick<ReportBill, 'id' | 'customerId'>): ReportBill => ({
  version: 1,
  status: 'DRAFT',
  category: 'RESIDENTIAL',
  stationId: 1,
  areaId: 10,
  totalKwh: '0',
  totalAmount: '0.00',
  lines: [],
  ...over,
});

describe('currentVersions', () => {
  it('takes the latest version that is not superseded, one per customer', () => {
    const bills = [
      bill({ id: 1, customerId: 7, version: 1, status: 'SUPERSEDED' }),
      bill({ id: 2, customerId: 7, version: 2, status: 'ISSUED' }),
      bill({ id: 3, customerId: 7, version: 3, status: 'DRAFT' }),
      bill({ id: 4, customerId: 5, version: 1, status: 'ISSUED' }),
      bill({ id: 5, customerId: 9, version: 1, status: 'SUPERSEDED' }),
    ];
    expect(currentVersions(bills).map((b) => b.id)).toEqual([4, 3]);
    expect(countByStatus(bills)).toEqual([
      { status: 'DRAFT', count: 1 },
      { status: 'APPROVED', count: 0 },
      { status: 'ISSUED', count: 2 },
      { status: 'SUPERSEDED', count: 2 },
    ]);
  });
});

describe('aggregateSettlement', () => {
  it('sums by category, tier, band, kind, station and area exactly', () => {
    const a = bill({
      id: 1,
      customerId: 1,
      totalKwh: '300.12345678',
      totalAmount: '170.18',
      lines: [
        { kind: 'ENERGY', band: 'T2', quantity: '100.12345678', amount: '60.07' },
        { kind: 'ENERGY', band: 'T4', quantity: '200', amount: '60.00' },
        { kind: 'TIER', tier: 2, quantity: '100', amount: '5.00' },
        { kind: 'TIER', tier: 3, quantity: '20', amount: '6.00' },
        { kind: 'FIXED', quantity: '30', amount: '39.11' },
      ],
    });
    const b = bill({
      id: 2,
      customerId: 2,
      category: 'COMMERCIAL',
      areaId: null,
      stationId: 2,
      totalKwh: '0.1',
      totalAmount: '0.10',
      lines: [{ kind: 'ENERGY', quantity: '0.1', amount: '0.10' }],
    });
    const r = aggregateSettlement([a, b]);
    expect(r.totals).toEqual({ customers: 2, bills: 2, kwh: '300.22345678', amount: '170.28' });
    expect(r.byCategory).toEqual([
      { key: 'RESIDENTIAL', customers: 1, bills: 1, kwh: '300.12345678', amount: '170.18' },
      { key: 'COMMERCIAL', customers: 1, bills: 1, kwh: '0.1', amount: '0.10' },
    ]);
    expect(r.byTier).toEqual([
      { key: 1, kwh: '180.22345678', amount: '0.00' },
      { key: 2, kwh: '100', amount: '5.00' },
      { key: 3, kwh: '20', amount: '6.00' },
    ]);
    expect(r.byBand).toEqual([
      { key: 'T2', kwh: '100.12345678', amount: '60.07' },
      { key: 'T4', kwh: '200', amount: '60.00' },
      { key: 'FLAT', kwh: '0.1', amount: '0.10' },
    ]);
    expect(r.byKind.map((k) => [k.key, k.quantity, k.amount])).toEqual([
      ['ENERGY', '300.22345678', '120.17'],
      ['TIER', '120', '11.00'],
      ['FIXED', '30', '39.11'],
    ]);
    expect(r.byStation.map((s) => s.key)).toEqual([1, 2]);
    expect(r.byArea.map((s) => [s.key, s.amount])).toEqual([
      [10, '170.18'],
      [null, '0.10'],
    ]);
  });

  it('is empty for no bills', () => {
    const r = aggregateSettlement([]);
    expect(r.totals).toEqual({ customers: 0, bills: 0, kwh: '0', amount: '0.00' });
    expect([r.byCategory, r.byTier, r.byBand, r.byKind, r.byArea]).toEqual([[], [], [], [], []]);
  });

  // Bills of random lines (amounts in fen, kWh with 8 decimals), each bill's total the sum of its lines.
  const fen = fc.integer({ min: 0, max: 10_000_000 }).map((n) => new Dec(n).dividedBy(100).toFixed(2));
  const kwh = fc.bigInt({ min: 0n, max: 10n ** 14n }).map((n) => new Dec(n.toString()).dividedBy(1e8).toFixed());
  const line: fc.Arbitrary<ReportLine> = fc
    .record({
      kind: fc.constantFrom('ENERGY', 'TIER', 'FIXED', 'SURCHARGE'),
      band: fc.option(fc.constantFrom('T1', 'T2', 'T3', 'T4'), { nil: undefined }),
      tier: fc.integer({ min: 2, max: 3 }),
      quantity: kwh,
      amount: fen,
    })
    .map((l) => ({
      ...l,
      band: l.kind === 'ENERGY' ? l.band : undefined,
      tier: l.kind === 'TIER' ? l.tier : undefined,
    }));
  const bills = fc
    .array(
      fc.record({
        customerId: fc.integer({ min: 1, max: 30 }),
        version: fc.integer({ min: 1, max: 3 }),
        status: fc.constantFrom<ReportBillStatus>('DRAFT', 'APPROVED', 'ISSUED', 'SUPERSEDED'),
        category: fc.constantFrom('RESIDENTIAL', 'COMMERCIAL', 'INDUSTRIAL', 'AGRICULTURAL'),
        stationId: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
        areaId: fc.option(fc.integer({ min: 10, max: 14 }), { nil: null }),
        lines: fc.array(line, { maxLength: 6 }),
      }),
      { maxLength: 40 },
    )
    .map((drafts) =>
      drafts.map((d, i): ReportBill => ({
        ...d,
        id: i + 1,
        totalKwh: d.lines
          .filter((l) => l.kind === 'ENERGY')
          .reduce((s, l) => s.plus(l.quantity), new Dec(0))
          .toFixed(),
        totalAmount: d.lines.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2),
      })),
    );

  it('has a grand total equal to its bills, to its categories, stations, areas and line kinds', () => {
    fc.assert(
      fc.property(bills, (all) => {
        const current = currentVersions(all);
        const r = aggregateSettlement(current);
        const sum = (xs: { amount: string }[]) => xs.reduce((s, x) => s.plus(x.amount), new Dec(0)).toFixed(2);
        const kwhOf = (xs: { kwh: string }[]) => xs.reduce((s, x) => s.plus(x.kwh), new Dec(0)).toFixed();
        const billsTotal = current.reduce((s, b) => s.plus(b.totalAmount), new Dec(0)).toFixed(2);
        expect(r.totals.amount).toBe(billsTotal);
        for (const groups of [r.byCategory, r.byStation, r.byArea]) {
          expect(sum(groups)).toBe(r.totals.amount);
          expect(kwhOf(groups)).toBe(r.totals.kwh);
          expect(groups.reduce((s, g) => s + g.bills, 0)).toBe(r.totals.bills);
        }
        expect(sum(r.byKind)).toBe(r.totals.amount);
        // ENERGY lines carry the energy: by band it is the total, and the tiers partition it.
        expect(kwhOf(r.byBand)).toBe(r.totals.kwh);
        expect(kwhOf(r.byTier)).toBe(r.totals.kwh);
        expect(new Set(current.map((b) => b.customerId)).size).toBe(current.length);
        expect(current.every((b) => b.status !== 'SUPERSEDED')).toBe(true);
      }),
    );
  });
});
