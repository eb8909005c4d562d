import { DECIMAL_PATTERN, Dec } from '../shared/decimal.js';
import { BANDS, type Band } from './bands.js';
import { addDays, daysBetween } from './local-days.js';
import { lineAmount, proratedAmount, sumEnergy, sumMoney } from './money.js';

/**
 * The tariff engine (ADR 0014): bill lines for one billing cycle from consumption and the versions of
 * a tariff. Tariffs are additive: the price of (tier, band) is the band price (or the flat price) plus
 * the tier's adder, so a cycle's energy is priced by ENERGY lines per band at the band price and TIER
 * lines per tier at the adder. Every amount follows the one rounding rule of money.ts; quantities
 * (kWh) are exact, except the two prorations of energy by days documented on `prorateEnergy`.
 */

export { BANDS, type Band } from './bands.js';
export const BAND_NAMES: Readonly<Record<Band, string>> = {
  T1: 'critical peak',
  T2: 'peak',
  T3: 'flat',
  T4: 'valley',
};
export type TierBasis = 'ANNUAL' | 'MONTHLY';
export const TIER_BASES: readonly TierBasis[] = ['ANNUAL', 'MONTHLY'];

export interface TariffTerms {
  effectiveFrom: string; // LocalDate; effective until the next version's effectiveFrom
  versionId?: string; // carried into lines for traceability
  flatPrice?: string; // CNY/kWh when the tariff has no TOU (or for consumption without TOU registers)
  bandPrices?: Partial<Record<Band, string>>; // TOU prices; when set, every band with consumption must have a price
  tierBasis: TierBasis;
  tiers: { upToKwh: string | null; adder: string }[]; // ascending thresholds of cumulative kWh; last upToKwh null
  fixedCharges: { name: string; amount: string }[]; // CNY per billing cycle
  surcharges: { name: string; perKwh: string }[]; // CNY per kWh on all energy
}
export interface SegmentConsumption {
  start: string;
  end: string;
  total: string;
  bands?: Partial<Record<Band, string>>;
}
export interface CycleInput {
  cycleStart: string;
  cycleEnd: string; // [start, end) local dates
  versions: TariffTerms[]; // all versions of the tariff
  segments: SegmentConsumption[]; // must equal segmentBoundaries(...) exactly
  tierUsedBefore: string; // ANNUAL: kWh used in the tier year of the first segment before cycleStart; MONTHLY: ignored
}
export interface BillLineDraft {
  kind: 'ENERGY' | 'TIER' | 'FIXED' | 'SURCHARGE';
  description: string;
  band?: Band;
  tier?: number;
  quantity: string;
  unitPrice: string;
  amount: string;
  periodStart: string;
  periodEnd: string;
  versionId?: string;
  effectiveFrom: string;
}
export interface PricedCycle {
  lines: BillLineDraft[];
  totalKwh: string;
  total: string;
  tiers: { tier: number; kwh: string }[];
  tierUsedAfter: string;
}

/** Bad terms or inputs. `path` points into the terms (or the input) where it is known. */
export class TariffError extends Error {
  constructor(
    message: string,
    readonly path: (string | number)[] = [],
  ) {
    super(message);
    this.name = 'TariffError';
  }
}

export interface TermsProblem {
  path: (string | number)[]; // relative to the terms, e.g. ['tiers', 1, 'upToKwh']
  message: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isLocalDate(value: unknown): value is string {
  return typeof value === 'string' && ISO_DATE.test(value) && addDays(value, 0) === value;
}

function isDecimal(value: unknown): value is string {
  return typeof value === 'string' && DECIMAL_PATTERN.test(value);
}

/**
 * Every problem of one version's terms, with its path. The API validates with this same function,
 * so a version it stores is one the engine prices.
 */
export function termsProblems(terms: TariffTerms): TermsProblem[] {
  const problems: TermsProblem[] = [];
  const price = (value: unknown, path: (string | number)[], what: string) => {
    if (!isDecimal(value)) problems.push({ path, message: `${what} must be a plain decimal` });
    else if (new Dec(value).isNegative()) problems.push({ path, message: `${what} must not be negative` });
  };
  if (!isLocalDate(terms.effectiveFrom))
    problems.push({ path: ['effectiveFrom'], message: 'effectiveFrom must be a date (YYYY-MM-DD)' });
  if (!TIER_BASES.includes(terms.tierBasis))
    problems.push({ path: ['tierBasis'], message: `tierBasis must be one of ${TIER_BASES.join(', ')}` });
  const bandEntries = Object.entries(terms.bandPrices ?? {}).filter(([, v]) => v !== undefined);
  if (terms.flatPrice === undefined && bandEntries.length === 0)
    problems.push({ path: ['flatPrice'], message: 'a flat price or at least one band price is required' });
  if (terms.flatPrice !== undefined) price(terms.flatPrice, ['flatPrice'], 'flatPrice');
  for (const [band, value] of bandEntries) {
    if (!(BANDS as readonly string[]).includes(band))
      problems.push({ path: ['bandPrices', band], message: `unknown band ${band}` });
    else price(value, ['bandPrices', band], `price of band ${band}`);
  }
  if (!Array.isArray(terms.tiers) || terms.tiers.length === 0)
    problems.push({ path: ['tiers'], message: 'at least one tier is required' });
  else {
    let previous = new Dec(0);
    terms.tiers.forEach((tier, i) => {
      const last = i === terms.tiers.length - 1;
      price(tier.adder, ['tiers', i, 'adder'], 'a tier adder');
      if (last) {
        if (tier.upToKwh !== null)
          problems.push({ path: ['tiers', i, 'upToKwh'], message: 'the last tier has no upper threshold (null)' });
      } else if (tier.upToKwh === null)
        problems.push({ path: ['tiers', i, 'upToKwh'], message: 'only the last tier may be open-ended' });
      else if (!isDecimal(tier.upToKwh))
        problems.push({ path: ['tiers', i, 'upToKwh'], message: 'upToKwh must be a plain decimal' });
      else if (!new Dec(tier.upToKwh).greaterThan(previous))
        problems.push({
          path: ['tiers', i, 'upToKwh'],
          message: `thresholds must ascend: ${tier.upToKwh} is not above ${previous.toFixed()}`,
        });
      else previous = new Dec(tier.upToKwh);
    });
  }
  const names = (list: { name: string }[], field: string) => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      if (typeof item.name !== 'string' || item.name.trim() === '')
        problems.push({ path: [field, i, 'name'], message: 'a name is required' });
      else if (seen.has(item.name)) problems.push({ path: [field, i, 'name'], message: `${item.name} appears twice` });
      seen.add(item.name);
    });
  };
  names(terms.fixedCharges ?? [], 'fixedCharges');
  (terms.fixedCharges ?? []).forEach((c, i) => price(c.amount, ['fixedCharges', i, 'amount'], 'a fixed charge'));
  names(terms.surcharges ?? [], 'surcharges');
  (terms.surcharges ?? []).forEach((s, i) => price(s.perKwh, ['surcharges', i, 'perKwh'], 'a surcharge'));
  return problems;
}

function assertTerms(terms: TariffTerms): void {
  const [first] = termsProblems(terms);
  if (first)
    throw new TariffError(
      `tariff version ${terms.effectiveFrom}: ${first.path.join('.')}: ${first.message}`,
      first.path,
    );
}

function assertRange(start: string, end: string, what: string): void {
  if (!isLocalDate(start) || !isLocalDate(end)) throw new TariffError(`${what}: not local dates: ${start}, ${end}`);
  if (daysBetween(start, end) <= 0) throw new TariffError(`${what}: ${start} is not before ${end}`);
}

/** The versions sorted by effectiveFrom; duplicates are refused. */
function sortedVersions(versions: TariffTerms[]): TariffTerms[] {
  const sorted = [...versions].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
  sorted.forEach((v, i) => {
    if (i > 0 && sorted[i - 1]!.effectiveFrom === v.effectiveFrom)
      throw new TariffError(`two tariff versions take effect on ${v.effectiveFrom}`);
  });
  return sorted;
}

/** The version in effect on a date: the last one whose effectiveFrom is on or before it. */
export function versionOn(versions: TariffTerms[], date: string): TariffTerms | undefined {
  let found: TariffTerms | undefined;
  for (const v of sortedVersions(versions)) if (v.effectiveFrom <= date) found = v;
  return found;
}

function versionCovering(sorted: TariffTerms[], date: string): TariffTerms {
  let found: TariffTerms | undefined;
  for (const v of sorted) if (v.effectiveFrom <= date) found = v;
  if (!found) throw new TariffError(`no tariff version is in effect on ${date}`);
  return found;
}

/**
 * Dates inside (cycleStart, cycleEnd) where consumption must be split: each version change, and
 * 1 January where the tier basis is ANNUAL (the tier year restarts). Returns the full ordered list
 * including cycleStart and cycleEnd.
 */
export function segmentBoundaries(cycleStart: string, cycleEnd: string, versions: TariffTerms[]): string[] {
  assertRange(cycleStart, cycleEnd, 'cycle');
  const sorted = sortedVersions(versions);
  versionCovering(sorted, cycleStart);
  const inside = new Set<string>();
  for (const v of sorted) if (v.effectiveFrom > cycleStart && v.effectiveFrom < cycleEnd) inside.add(v.effectiveFrom);
  for (let year = Number(cycleStart.slice(0, 4)) + 1; `${year}-01-01` < cycleEnd; year++) {
    const newYear = `${String(year).padStart(4, '0')}-01-01`;
    if (versionCovering(sorted, newYear).tierBasis === 'ANNUAL') inside.add(newYear);
  }
  return [cycleStart, ...[...inside].sort(), cycleEnd];
}

/**
 * Energy prorated by days: `kwh × days / ofDays`. Quantities are otherwise exact, but a share like
 * 10/31 has no exact decimal, so a prorated share is cut (rounded down) to 8 decimal places, the
 * scale of stored kWh (numeric(24,8)); a share that has an exact decimal of 8 places or fewer is
 * exact. Callers that split a whole put the remainder on the last part, so nothing is lost.
 */
export const ENERGY_SCALE = 8;
function prorateEnergy(kwh: Dec, days: number, ofDays: number): Dec {
  return kwh.times(days).dividedBy(ofDays).toDecimalPlaces(ENERGY_SCALE, Dec.ROUND_DOWN);
}

function readKwh(value: unknown, what: string): Dec {
  if (!isDecimal(value)) throw new TariffError(`${what} must be a plain decimal: ${String(value)}`);
  const d = new Dec(value);
  if (d.isNegative()) throw new TariffError(`${what} must not be negative: ${value}`);
  return d;
}

function bandEntries(seg: SegmentConsumption): [Band, string][] {
  return BANDS.flatMap((b) => (seg.bands?.[b] === undefined ? [] : [[b, seg.bands[b]!] as [Band, string]]));
}

/** Checks one segment's energy: non-negative decimals, and TOU bands that add up to the total exactly. */
function segmentKwh(seg: SegmentConsumption): { total: Dec; bands: [Band, Dec][] | undefined } {
  const what = `consumption ${seg.start}..${seg.end}`;
  const total = readKwh(seg.total, `${what}: total`);
  for (const key of Object.keys(seg.bands ?? {}))
    if (!(BANDS as readonly string[]).includes(key)) throw new TariffError(`${what}: unknown band ${key}`);
  const entries = bandEntries(seg);
  if (seg.bands === undefined || entries.length === 0) return { total, bands: undefined };
  const bands = entries.map(([b, v]) => [b, readKwh(v, `${what}: band ${b}`)] as [Band, Dec]);
  const sum = bands.reduce((s, [, v]) => s.plus(v), new Dec(0));
  if (!sum.equals(total))
    throw new TariffError(`${what}: the bands add up to ${sum.toFixed()} kWh, not the total ${total.toFixed()} kWh`);
  return { total, bands };
}

/**
 * Splits one period's consumption over sub-periods in proportion to their days (used when a boundary
 * reading is missing). Each part but the last is `prorateEnergy`'s share; the last part takes the
 * remainder, so the parts sum exactly to the whole. TOU bands are split the same way and each part's
 * total is the sum of its bands, so every part's bands still add up to its total.
 */
export function splitByDays(whole: SegmentConsumption, boundaries: string[]): SegmentConsumption[] {
  assertRange(whole.start, whole.end, 'consumption');
  if (boundaries.length < 2 || boundaries[0] !== whole.start || boundaries[boundaries.length - 1] !== whole.end)
    throw new TariffError(`boundaries must run from ${whole.start} to ${whole.end}`);
  for (let i = 1; i < boundaries.length; i++) assertRange(boundaries[i - 1]!, boundaries[i]!, 'sub-period');
  const { total, bands } = segmentKwh(whole);
  const allDays = daysBetween(whole.start, whole.end);
  const split = (kwh: Dec): Dec[] => {
    let rest = kwh;
    return boundaries.slice(1).map((end, i) => {
      if (i === boundaries.length - 2) return rest;
      const part = prorateEnergy(kwh, daysBetween(boundaries[i]!, end), allDays);
      rest = rest.minus(part);
      return part;
    });
  };
  const totals = split(total);
  const bandParts = bands?.map(([b, kwh]) => [b, split(kwh)] as const);
  return boundaries.slice(1).map((end, i) => {
    const start = boundaries[i]!;
    if (!bandParts) return { start, end, total: totals[i]!.toFixed() };
    const partBands: Partial<Record<Band, string>> = {};
    for (const [b, parts] of bandParts) partBands[b] = parts[i]!.toFixed();
    return { start, end, total: sumEnergy(Object.values(partBands)), bands: partBands };
  });
}

/** Cumulative thresholds of the tiers (the last is open: undefined). */
type Thresholds = (Dec | undefined)[];

/** kWh of [from, from + kwh) of a cumulative counter that fall in each tier. */
function attribute(from: Dec, kwh: Dec, thresholds: Thresholds): Dec[] {
  const to = from.plus(kwh);
  let lower = new Dec(0);
  return thresholds.map((upper) => {
    const lo = Dec.max(from, lower);
    const hi = upper === undefined ? to : Dec.min(to, upper);
    lower = upper ?? lower;
    return Dec.max(hi.minus(lo), 0);
  });
}

function thresholdsOf(terms: TariffTerms): Thresholds {
  return terms.tiers.map((t) => (t.upToKwh === null ? undefined : new Dec(t.upToKwh)));
}

/**
 * MONTHLY thresholds of a cycle: each threshold prorated by days over the version segments
 * (Σ threshold × segmentDays / cycleDays). With one version, or versions with equal thresholds,
 * they are the thresholds themselves, exactly; otherwise see `prorateEnergy`.
 */
function monthlyThresholds(parts: { terms: TariffTerms; days: number }[], cycleDays: number): Thresholds {
  const count = parts[0]!.terms.tiers.length;
  if (parts.some((p) => p.terms.tiers.length !== count))
    throw new TariffError('the versions of one MONTHLY cycle must have the same number of tiers');
  return Array.from({ length: count }, (_, k) => {
    if (k === count - 1) return undefined;
    const same = parts.every((p) => p.terms.tiers[k]!.upToKwh === parts[0]!.terms.tiers[k]!.upToKwh);
    if (same) return new Dec(parts[0]!.terms.tiers[k]!.upToKwh!);
    return parts.reduce(
      (sum, p) => sum.plus(prorateEnergy(new Dec(p.terms.tiers[k]!.upToKwh!), p.days, cycleDays)),
      new Dec(0),
    );
  });
}

const tierUnit = (n: number) => `Tier ${n}`;

/**
 * Prices one billing cycle. Lines, in order: for each segment, its ENERGY lines (one per band in
 * T1..T4 order, or one at the flat price), its TIER lines (ascending) and its SURCHARGE lines; then
 * the FIXED lines of each version segment. Lines whose quantity is zero are left out.
 *
 * FIXED lines: quantity = the days of the version segment, unitPrice = the full amount per cycle,
 * amount = unitPrice × days / cycleDays rounded once (money.ts `proratedAmount`); the description
 * says "prorated N/M days" when N < M. A fixed charge is per cycle, whatever the cycle's length.
 */
export function priceCycle(input: CycleInput): PricedCycle {
  const { cycleStart, cycleEnd } = input;
  const boundaries = segmentBoundaries(cycleStart, cycleEnd, input.versions);
  const sorted = sortedVersions(input.versions);
  const cycleDays = daysBetween(cycleStart, cycleEnd);
  const expected = boundaries.slice(1).map((end, i) => `${boundaries[i]}..${end}`);
  const given = input.segments.map((s) => `${s.start}..${s.end}`);
  if (expected.join(',') !== given.join(','))
    throw new TariffError(`segments must be exactly ${expected.join(', ')}; got ${given.join(', ') || 'none'}`);

  const segments = input.segments.map((seg) => {
    const terms = versionCovering(sorted, seg.start);
    return { seg, terms, days: daysBetween(seg.start, seg.end), ...segmentKwh(seg) };
  });
  const used = new Set(segments.map((s) => s.terms));
  for (const terms of used) assertTerms(terms);
  const basis = segments[0]!.terms.tierBasis;
  if (segments.some((s) => s.terms.tierBasis !== basis))
    throw new TariffError('the versions in one cycle must share one tier basis');

  // Version segments: runs of segments under one version (a 1 January split is not a new version).
  const versionParts: { terms: TariffTerms; start: string; end: string; days: number }[] = [];
  for (const s of segments) {
    const last = versionParts[versionParts.length - 1];
    if (last && last.terms === s.terms) {
      last.end = s.seg.end;
      last.days += s.days;
    } else versionParts.push({ terms: s.terms, start: s.seg.start, end: s.seg.end, days: s.days });
  }

  let counter: Dec;
  let monthly: Thresholds | undefined;
  if (basis === 'ANNUAL') {
    counter = readKwh(input.tierUsedBefore, 'tierUsedBefore');
    // A cycle that opens a tier year has nothing of that year before it: a counter carried over
    // from December here would price January in the wrong tier.
    if (cycleStart.endsWith('-01-01') && !counter.isZero())
      throw new TariffError(`tierUsedBefore must be 0 for a cycle starting on 1 January, not ${input.tierUsedBefore}`);
  } else {
    counter = new Dec(0);
    monthly = monthlyThresholds(versionParts, cycleDays);
  }

  const lines: BillLineDraft[] = [];
  const tierTotals = new Map<number, Dec>();
  const trace = (terms: TariffTerms) => ({
    ...(terms.versionId === undefined ? {} : { versionId: terms.versionId }),
    effectiveFrom: terms.effectiveFrom,
  });

  segments.forEach(({ seg, terms, total, bands }, index) => {
    const period = { periodStart: seg.start, periodEnd: seg.end, ...trace(terms) };
    // The tier year restarts on 1 January: segmentBoundaries put one there.
    if (basis === 'ANNUAL' && index > 0 && seg.start.endsWith('-01-01')) counter = new Dec(0);

    const touPrices = terms.bandPrices && Object.values(terms.bandPrices).some((p) => p !== undefined);
    if (bands && touPrices) {
      for (const [band, kwh] of bands) {
        if (kwh.isZero()) continue;
        const unitPrice = terms.bandPrices![band];
        if (unitPrice === undefined)
          throw new TariffError(
            `tariff version ${terms.effectiveFrom} has no price for band ${band} (${BAND_NAMES[band]}), which has ${kwh.toFixed()} kWh in ${seg.start}..${seg.end}`,
          );
        const quantity = kwh.toFixed();
        lines.push({
          kind: 'ENERGY',
          description: `Energy, ${BAND_NAMES[band]} (${band})`,
          band,
          quantity,
          unitPrice,
          amount: lineAmount(quantity, unitPrice),
          ...period,
        });
      }
    } else if (!total.isZero()) {
      if (terms.flatPrice === undefined)
        throw new TariffError(
          `tariff version ${terms.effectiveFrom} has TOU prices only, but consumption ${seg.start}..${seg.end} has no TOU bands`,
        );
      const quantity = total.toFixed();
      lines.push({
        kind: 'ENERGY',
        description: 'Energy',
        quantity,
        unitPrice: terms.flatPrice,
        amount: lineAmount(quantity, terms.flatPrice),
        ...period,
      });
    }

    const inTiers = attribute(counter, total, monthly ?? thresholdsOf(terms));
    counter = counter.plus(total);
    inTiers.forEach((kwh, k) => {
      if (kwh.isZero()) return;
      tierTotals.set(k + 1, (tierTotals.get(k + 1) ?? new Dec(0)).plus(kwh));
      const adder = terms.tiers[k]!.adder;
      if (k === 0 && new Dec(adder).isZero()) return; // tier 1 at the base price: no adder line
      const quantity = kwh.toFixed();
      lines.push({
        kind: 'TIER',
        description: `${tierUnit(k + 1)} adder`,
        tier: k + 1,
        quantity,
        unitPrice: adder,
        amount: lineAmount(quantity, adder),
        ...period,
      });
    });

    if (!total.isZero())
      for (const s of terms.surcharges) {
        const quantity = total.toFixed();
        lines.push({
          kind: 'SURCHARGE',
          description: `Surcharge: ${s.name}`,
          quantity,
          unitPrice: s.perKwh,
          amount: lineAmount(quantity, s.perKwh),
          ...period,
        });
      }
  });

  for (const part of versionParts)
    for (const c of part.terms.fixedCharges)
      lines.push({
        kind: 'FIXED',
        description:
          part.days === cycleDays ? `Fixed: ${c.name}` : `Fixed: ${c.name}, prorated ${part.days}/${cycleDays} days`,
        quantity: String(part.days),
        unitPrice: c.amount,
        amount: proratedAmount(c.amount, part.days, cycleDays),
        periodStart: part.start,
        periodEnd: part.end,
        ...trace(part.terms),
      });

  return {
    lines,
    totalKwh: sumEnergy(segments.map((s) => s.total.toFixed())),
    total: sumMoney(lines.map((l) => l.amount)),
    tiers: [...tierTotals.entries()].sort(([a], [b]) => a - b).map(([tier, kwh]) => ({ tier, kwh: kwh.toFixed() })),
    tierUsedAfter: counter.toFixed(),
  };
}

/**
 * Where a counter of `usedKwh` stands in each tier of one version (for a customer's tier progress:
 * the caller gives the kWh used so far in the tier year or month).
 */
export function tierProgressOf(
  terms: TariffTerms,
  usedKwh: string,
): { tier: number; upToKwh: string | null; usedInTier: string; remainingInTier: string | null }[] {
  assertTerms(terms);
  const used = readKwh(usedKwh, 'usedKwh');
  const inTiers = attribute(new Dec(0), used, thresholdsOf(terms));
  let lower = new Dec(0);
  return terms.tiers.map((t, k) => {
    const width = t.upToKwh === null ? undefined : new Dec(t.upToKwh).minus(lower);
    if (t.upToKwh !== null) lower = new Dec(t.upToKwh);
    return {
      tier: k + 1,
      upToKwh: t.upToKwh,
      usedInTier: inTiers[k]!.toFixed(),
      remainingInTier: width === undefined ? null : width.minus(inTiers[k]!).toFixed(),
    };
  });
}
