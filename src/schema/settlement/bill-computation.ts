import type { EntityManager } from '@mikro-orm/postgresql';
import { BANDS, type Band } from '../../billing/bands.js';
import {
  consumptionBetween,
  type ConsumptionProblem,
  type MeterSpan,
  type PeriodConsumption,
  type ValueAt,
} from '../../billing/consumption.js';
import { billingCycle, localMidnight } from '../../billing/local-days.js';
import {
  priceCycle,
  segmentBoundaries,
  splitByDays,
  TariffError,
  type BillLineDraft,
  type SegmentConsumption,
  type TariffTerms,
} from '../../billing/tariff-engine.js';
import type { BillDeterminant, SettlementFailure } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { loadRegisterValuesAt, loadServicePointSpans } from '../consumption/index.js';

/** A customer as a settlement run sees it: everything needed to price its cycle. */
export interface CustomerToBill {
  id: number;
  accountNo: string;
  billingDay: number;
  zone: string;
  tariffCode: string;
  versions: TariffTerms[];
  servicePointIds: number[];
  /** ANNUAL tiers: kWh counted before the cycle, when a previous bill says so. */
  tierUsedBefore?: string;
}

export interface BillDraft {
  customerId: number;
  period: string;
  cycleStart: string;
  cycleEnd: string;
  tariffCode: string;
  totalKwh: string;
  totalAmount: string;
  estimated: boolean;
  tierUsedBefore: string;
  tierUsedAfter: string;
  notes: string[];
  determinants: BillDeterminant[];
  lines: BillLineDraft[];
}

export type BillOutcome = { ok: true; draft: BillDraft } | { ok: false; failure: SettlementFailure };

const isAnnual = (versions: TariffTerms[]) => versions.some((v) => v.tierBasis === 'ANNUAL');

/** 1 January of the cycle's first day, when a cycle starts after it: where an annual count restarts. */
const tierYearStart = (cycleStart: string) => `${cycleStart.slice(0, 4)}-01-01`;

interface Plan {
  customer: CustomerToBill;
  cycle: { start: string; end: string };
  dates: string[];
  instants: Date[];
  /** When the tier count must come from the registers: 1 January's midnight. */
  yearStart?: Date;
}

/**
 * Prices the cycle of each customer that closes in `period`: the consumption of every segment the
 * tariff asks for (split at version changes and at 1 January for annual tiers), from the register
 * values at the segments' local midnights, through the tariff engine. A customer whose values are
 * missing or impossible, or whose tariff cannot price them, is a failure with its reason; the
 * others are drafts. The register values come in one lookup: each customer's meters at that
 * customer's boundaries.
 */
export async function computeBills(
  em: EntityManager,
  customers: readonly CustomerToBill[],
  period: string,
  now = new Date(),
): Promise<BillOutcome[]> {
  const plans: (Plan | SettlementFailure)[] = customers.map((customer) => {
    try {
      const cycle = billingCycle(period, customer.billingDay);
      // A cycle is billed once its last midnight has passed (the frozen value exists by then).
      if (localMidnight(cycle.end, customer.zone) > now)
        return failureOf(customer, 'CYCLE_OPEN', `the billing cycle closes on ${cycle.end}`);
      const dates = segmentBoundaries(cycle.start, cycle.end, customer.versions);
      const needsYear =
        isAnnual(customer.versions) && customer.tierUsedBefore === undefined && !cycle.start.endsWith('-01-01');
      return {
        customer,
        cycle,
        dates,
        instants: dates.map((d) => localMidnight(d, customer.zone)),
        yearStart: needsYear ? localMidnight(tierYearStart(cycle.start), customer.zone) : undefined,
      };
    } catch (error) {
      return failureOf(customer, 'TARIFF', error);
    }
  });

  const spans = await loadServicePointSpans(
    em,
    customers.flatMap((c) => c.servicePointIds),
  );
  // Every customer's meters at that customer's own boundaries, in one lookup for the whole batch.
  const withValues = plans.filter((p): p is Plan => 'customer' in p);
  const values = await loadRegisterValuesAt(
    em,
    withValues.flatMap((p) => {
      const instants = p.yearStart ? [...p.instants, p.yearStart] : p.instants;
      return p.customer.servicePointIds.flatMap((sp) => spans.get(sp)!.map((s) => ({ meterId: s.meterId, instants })));
    }),
  );

  return plans.map((plan) => {
    if (!('customer' in plan)) return { ok: false, failure: plan };
    try {
      return priceOne(plan, (sp) => spans.get(sp) ?? [], values.get, period);
    } catch (error) {
      return {
        ok: false,
        failure: failureOf(plan.customer, error instanceof TariffError ? 'TARIFF' : 'INTERNAL', error),
      };
    }
  });
}

function failureOf(customer: CustomerToBill, code: string, error: unknown): SettlementFailure {
  const reason = error instanceof Error ? error.message : String(error);
  return { customerId: customer.id, accountNo: customer.accountNo, code, reason };
}

/** The sum of several service points' consumption over one period, or the problems that stop it. */
function pointsBetween(
  pointIds: number[],
  spansOf: (sp: number) => MeterSpan[],
  valueAt: ValueAt,
  start: Date,
  end: Date,
) {
  const results = pointIds.map((sp) => ({ sp, c: consumptionBetween(spansOf(sp), valueAt, start, end) }));
  return results;
}

type Combined = { problems: ConsumptionProblem[] } | { segment: SegmentConsumption; estimated: boolean };

function combine(results: { sp: number; c: PeriodConsumption }[], start: string, end: string): Combined {
  const problems = results.flatMap((r) => r.c.problems);
  if (problems.length) return { problems };
  const total = results.reduce((s, r) => s.plus(r.c.total!), new Dec(0)).toFixed();
  const withBands = results.filter((r) => r.c.bands);
  let bands: Partial<Record<Band, string>> | undefined;
  if (withBands.length === results.length && results.length) {
    bands = {};
    for (const b of BANDS) bands[b] = results.reduce((s, r) => s.plus(r.c.bands![b]), new Dec(0)).toFixed();
  }
  const segment: SegmentConsumption = { start, end, total, bands };
  return { segment, estimated: results.some((r) => r.c.estimated) };
}

function determinantsOf(results: { sp: number; c: PeriodConsumption }[], start: string, end: string) {
  return results.flatMap(({ sp, c }) =>
    c.parts.map((p): BillDeterminant => ({
      servicePointId: sp,
      segmentStart: start,
      segmentEnd: end,
      meterId: p.meterId,
      multiplier: p.multiplier,
      start: { at: p.start.at.toISOString(), value: p.start.value, from: p.start.from, estimated: p.start.estimated },
      end: { at: p.end.at.toISOString(), value: p.end.value, from: p.end.from, estimated: p.end.estimated },
      rolledOver: p.rolledOver,
      kwh: p.kwh,
    })),
  );
}

function priceOne(plan: Plan, spansOf: (sp: number) => MeterSpan[], valueAt: ValueAt, period: string): BillOutcome {
  const { customer, cycle, dates, instants } = plan;
  const notes: string[] = [];
  if (!customer.servicePointIds.length)
    return { ok: false, failure: failureOf(customer, 'NO_SERVICE_POINT', 'the customer has no service point') };
  let segments: SegmentConsumption[] = [];
  let determinants: BillDeterminant[] = [];
  let estimated = false;
  const perSegment = dates.slice(0, -1).map((d, i) => {
    const results = pointsBetween(customer.servicePointIds, spansOf, valueAt, instants[i]!, instants[i + 1]!);
    return { results, combined: combine(results, d, dates[i + 1]!) };
  });
  if (perSegment.every((s) => 'segment' in s.combined)) {
    segments = perSegment.map((s) => (s.combined as { segment: SegmentConsumption }).segment);
    estimated = perSegment.some((s) => (s.combined as { estimated: boolean }).estimated);
    determinants = perSegment.flatMap((s, i) => determinantsOf(s.results, dates[i]!, dates[i + 1]!));
  } else {
    // A value missing at a price change (not at the cycle's ends): the cycle's energy, split by days.
    const whole = pointsBetween(customer.servicePointIds, spansOf, valueAt, instants[0]!, instants.at(-1)!);
    const combined = combine(whole, cycle.start, cycle.end);
    if (!('segment' in combined)) {
      const reason = combined.problems.map((p) => p.message).join('; ');
      return { ok: false, failure: failureOf(customer, combined.problems[0]!.kind, reason) };
    }
    segments = splitByDays(combined.segment, dates);
    estimated = combined.estimated;
    determinants = determinantsOf(whole, cycle.start, cycle.end);
    notes.push('no register values at the price change: the energy was split by days');
  }
  const touTariff = customer.versions.some((v) => v.bandPrices && Object.keys(v.bandPrices).length);
  if (touTariff && segments.some((s) => !s.bands)) {
    // Band registers not known across an exchange: billed at the flat band, and said so.
    segments = segments.map((s) => (s.bands ? s : { ...s, bands: { T1: '0', T2: '0', T3: s.total, T4: '0' } }));
    notes.push('no band registers for part of the cycle: that energy was billed at the flat (T3) price');
  }

  let tierUsedBefore = customer.tierUsedBefore;
  if (tierUsedBefore === undefined) {
    if (!isAnnual(customer.versions) || cycle.start.endsWith('-01-01')) tierUsedBefore = '0';
    else {
      const since = pointsBetween(customer.servicePointIds, spansOf, valueAt, plan.yearStart!, instants[0]!);
      const combined = combine(since, tierYearStart(cycle.start), cycle.start);
      if ('segment' in combined) {
        tierUsedBefore = combined.segment.total;
        notes.push(`tier count from the registers since ${tierYearStart(cycle.start)}: ${tierUsedBefore} kWh`);
      } else {
        tierUsedBefore = '0';
        notes.push(
          `no earlier bill and no register value on ${tierYearStart(cycle.start)}: the tier count starts at 0`,
        );
      }
    }
  }

  const priced = priceCycle({
    cycleStart: cycle.start,
    cycleEnd: cycle.end,
    versions: customer.versions,
    segments,
    tierUsedBefore,
  });
  return {
    ok: true,
    draft: {
      customerId: customer.id,
      period,
      cycleStart: cycle.start,
      cycleEnd: cycle.end,
      tariffCode: customer.tariffCode,
      totalKwh: priced.totalKwh,
      totalAmount: priced.total,
      estimated,
      tierUsedBefore,
      tierUsedAfter: priced.tierUsedAfter,
      notes,
      determinants,
      lines: priced.lines,
    },
  };
}
