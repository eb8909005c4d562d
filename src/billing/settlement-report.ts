import { Dec } from '../shared/decimal.js';
import { sumEnergy, sumMoney } from './money.js';
import { groupBy } from '../shared/group-by.js';

/**
 * The settlement report's arithmetic (paper 3.5, "view settlement report"): which version of a
 * customer's bill counts, and the exact sums of those bills by category, tier, TOU band, line kind,
 * station and transformer area. Pure: the report module loads the rows and calls these.
 */

export type ReportBillStatus = 'DRAFT' | 'APPROVED' | 'ISSUED' | 'SUPERSEDED';
export type ReportLineKind = 'ENERGY' | 'TIER' | 'FIXED' | 'SURCHARGE';

export interface ReportLine {
  kind: ReportLineKind;
  band?: string | null;
  tier?: number | null;
  quantity: string;
  amount: string;
}

/** A bill version as the report needs it (lines only on the versions that count). */
export interface ReportBill {
  id: number;
  customerId: number;
  version: number;
  status: ReportBillStatus;
  category: string;
  stationId: number | null;
  areaId: number | null;
  totalKwh: string;
  totalAmount: string;
  lines: readonly ReportLine[];
}

export interface Totals {
  customers: number;
  bills: number;
  kwh: string;
  amount: string;
}

export interface Group<K> extends Totals {
  key: K;
}

export interface EnergyAndAmount<K> {
  key: K;
  kwh: string;
  amount: string;
}

export interface SettlementAggregate {
  totals: Totals;
  byCategory: Group<string>[];
  /** Tier 1 is the energy no TIER line priced (the base price); tiers 2+ are their TIER lines. */
  byTier: EnergyAndAmount<number>[];
  /** ENERGY lines by TOU band; a flat price's lines under FLAT. */
  byBand: EnergyAndAmount<string>[];
  /** Quantity is kWh, but days for FIXED lines. */
  byKind: { key: ReportLineKind; quantity: string; amount: string }[];
  byStation: Group<number | null>[];
  byArea: Group<number | null>[];
}

export const FLAT_BAND = 'FLAT';
const KIND_ORDER: readonly ReportLineKind[] = ['ENERGY', 'TIER', 'FIXED', 'SURCHARGE'];
/** Categories in the order reports list them (the order of the API's enum); others after, by name. */
export const CATEGORY_ORDER: readonly string[] = ['RESIDENTIAL', 'COMMERCIAL', 'INDUSTRIAL', 'AGRICULTURAL'];
const byCategoryOrder = (a: string, b: string) => {
  const rank = (c: string) => (CATEGORY_ORDER.includes(c) ? CATEGORY_ORDER.indexOf(c) : CATEGORY_ORDER.length);
  return rank(a) - rank(b) || a.localeCompare(b);
};

/**
 * The version of each customer's bill that counts: the latest that is not SUPERSEDED. (A DRAFT
 * re-bill counts over the ISSUED version it will replace: the report shows what the customer will
 * owe.) Customers whose every version was superseded have none. Ordered by customer.
 */
export function currentVersions<B extends Pick<ReportBill, 'customerId' | 'version' | 'status'>>(
  bills: readonly B[],
): B[] {
  const latest = new Map<number, B>();
  for (const bill of bills) {
    if (bill.status === 'SUPERSEDED') continue;
    const seen = latest.get(bill.customerId);
    if (!seen || bill.version > seen.version) latest.set(bill.customerId, bill);
  }
  return [...latest.values()].sort((a, b) => a.customerId - b.customerId);
}

/** How many versions have each status (all four always present, in lifecycle order). */
export function countByStatus(
  bills: readonly Pick<ReportBill, 'status'>[],
): { status: ReportBillStatus; count: number }[] {
  const order: ReportBillStatus[] = ['DRAFT', 'APPROVED', 'ISSUED', 'SUPERSEDED'];
  return order.map((status) => ({ status, count: bills.filter((b) => b.status === status).length }));
}

export function totalsOf(bills: readonly Pick<ReportBill, 'customerId' | 'totalKwh' | 'totalAmount'>[]): Totals {
  return {
    customers: new Set(bills.map((b) => b.customerId)).size,
    bills: bills.length,
    kwh: sumEnergy(bills.map((b) => b.totalKwh)),
    amount: sumMoney(bills.map((b) => b.totalAmount)),
  };
}

/** Totals per key, sorted by key. */
function totalsBy<K>(bills: readonly ReportBill[], keyOf: (b: ReportBill) => K, compare: (a: K, b: K) => number) {
  return [...groupBy(bills, keyOf).entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([key, members]) => ({ key, ...totalsOf(members) }));
}

/** Nulls (no station, no area) last; ids ascending. */
const byId = (a: number | null, b: number | null) => (a ?? Infinity) - (b ?? Infinity);

/** Sums of the bills that count; every sum exact (kWh unrounded, money in fen). */
export function aggregateSettlement(bills: readonly ReportBill[]): SettlementAggregate {
  const tierKwh = new Map<number, Dec>();
  const tierAmount = new Map<number, Dec>();
  const bandKwh = new Map<string, Dec>();
  const bandAmount = new Map<string, Dec>();
  const kindQuantity = new Map<ReportLineKind, Dec>();
  const kindAmount = new Map<ReportLineKind, Dec>();
  const add = <K>(map: Map<K, Dec>, key: K, value: string | Dec) =>
    map.set(key, (map.get(key) ?? new Dec(0)).plus(value));
  for (const bill of bills) {
    let inUpperTiers = new Dec(0);
    for (const line of bill.lines) {
      add(kindQuantity, line.kind, line.quantity);
      add(kindAmount, line.kind, line.amount);
      if (line.kind === 'ENERGY') {
        add(bandKwh, line.band ?? FLAT_BAND, line.quantity);
        add(bandAmount, line.band ?? FLAT_BAND, line.amount);
      } else if (line.kind === 'TIER') {
        const tier = line.tier ?? 1;
        add(tierAmount, tier, line.amount);
        if (tier > 1) {
          add(tierKwh, tier, line.quantity);
          inUpperTiers = inUpperTiers.plus(line.quantity);
        }
      }
    }
    // Tier 1 (usually without an adder, so without a line) has the energy the upper tiers leave.
    add(tierKwh, 1, new Dec(bill.totalKwh).minus(inUpperTiers));
  }
  return {
    totals: totalsOf(bills),
    byCategory: totalsBy(bills, (b) => b.category, byCategoryOrder),
    byTier: [...new Set([...tierKwh.keys(), ...tierAmount.keys()])]
      .sort((a, b) => a - b)
      .map((key) => ({
        key,
        kwh: (tierKwh.get(key) ?? new Dec(0)).toFixed(),
        amount: (tierAmount.get(key) ?? new Dec(0)).toFixed(2),
      })),
    // T1..T4, then FLAT.
    byBand: [...bandKwh.keys()]
      .sort((a, b) => (a === FLAT_BAND ? 1 : b === FLAT_BAND ? -1 : a.localeCompare(b)))
      .map((key) => ({
        key,
        kwh: bandKwh.get(key)!.toFixed(),
        amount: bandAmount.get(key)!.toFixed(2),
      })),
    byKind: KIND_ORDER.filter((k) => kindQuantity.has(k)).map((key) => ({
      key,
      quantity: kindQuantity.get(key)!.toFixed(),
      amount: kindAmount.get(key)!.toFixed(2),
    })),
    byStation: totalsBy(bills, (b) => b.stationId, byId),
    byArea: totalsBy(bills, (b) => b.areaId, byId),
  };
}
