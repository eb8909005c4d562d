import { Dec } from '../shared/decimal.js';
import { consumptionBetween, type ConsumptionProblem, type MeterSpan, type ValueAt } from './consumption.js';

/**
 * Line loss of a transformer area (线损): purchased energy (the area's supply meter) against sold
 * energy (its customers' meters), both from register values frozen at the same instants:
 *
 *     loss = (E_supply - sum of E_customers) / E_supply
 *
 * Every energy comes from `consumptionBetween`, so multipliers, rollovers and meter exchanges count
 * as they do on bills.
 *
 * Rounding: kWh are never rounded (exact decimals). The rate is the exact quotient (40 significant
 * digits) as a percent, rounded once, half up, to 2 decimals ("4.76"); that displayed figure is
 * what the band is compared with, so what a user sees inside the band is qualified.
 *
 * Exclusions: a customer meter whose consumption has a problem (a missing register value at a
 * boundary, a register decrease) is left out of the sum and listed with the problem. Estimated
 * values are counted, like on bills (an estimate is a reading with source ESTIMATED, ADR 0014):
 * sold energy is what is billed; `estimatedCount` says how many meters rest on one.
 */

/** Qualification band of a loss rate, in percent. */
export interface LossBand {
  min: string;
  max: string;
}

/** The band of an area that has none of its own. */
export const DEFAULT_LOSS_BAND: LossBand = { min: '0', max: '7' };

/**
 * A meter whose period consumption exceeds its contracted capacity (kVA, taken as kW) running flat
 * out for every hour of the period, times this factor, records energy it cannot have delivered.
 */
export const FLYING_CAPACITY_FACTOR = '1.2';
/** ...or more than this many times its own consumption in the period before. */
export const FLYING_HISTORY_FACTOR = '5';
/** Below this many kWh a jump over history is noise, not a flying meter. */
export const FLYING_HISTORY_FLOOR_KWH = '10';

/** One customer's metering in the area: a service point with every meter that has been on it. */
export interface AreaCustomerMeter {
  servicePointId: number;
  /** The meter on the service point at the end of the period (the one to go and look at). */
  meterId: number;
  customerId?: number;
  spans: MeterSpan[];
  /** kVA; no capacity check without it. */
  contractedCapacity?: string;
  /** An open (or acknowledged) WRONG_TRANSFORMER_AREA alarm is on the meter. */
  wrongAreaAlarm?: boolean;
}

export interface AreaMetering {
  /** The supply (total) meter; absent when the area has none. */
  supply?: MeterSpan;
  customers: AreaCustomerMeter[];
  /** The area's own band; the default when absent. */
  band?: LossBand;
}

export type LossStatus = 'OK' | 'NO_SUPPLY_METER' | 'SUPPLY_MISSING_DATA' | 'NO_SUPPLY_ENERGY';

export interface LossExclusion {
  servicePointId: number;
  meterId: number;
  customerId?: number;
  reason: ConsumptionProblem['kind'];
  detail: string;
}

export type SuspectKind = 'STOPPED' | 'FLYING' | 'MISSING_DATA' | 'WRONG_AREA';

/**
 * A meter that may explain the loss. `score` is in kWh: the energy it could account for (the
 * expected energy of a stopped or unread meter, the excess of a flying one, the energy of one
 * measured in the wrong area), so suspects of every kind rank on one scale, largest first.
 */
export interface LossSuspect {
  servicePointId: number;
  meterId: number;
  customerId?: number;
  kind: SuspectKind;
  score: string;
  detail: string;
}

/** The balance of one period: totals, rate and qualification. */
export interface LossBalance {
  start: Date;
  end: Date;
  hours: number;
  status: LossStatus;
  statusDetail: string | null;
  supplyKwh: string | null;
  supplyEstimated: boolean;
  /** Sum over the included customer meters. */
  customersKwh: string;
  lossKwh: string | null;
  /** Percent, rounded half up to 2 decimals; null when the loss cannot be computed. */
  lossRate: string | null;
  qualified: boolean;
  band: LossBand;
  meterCount: number;
  includedCount: number;
  estimatedCount: number;
  excluded: LossExclusion[];
}

export interface AreaLineLoss extends LossBalance {
  suspects: LossSuspect[];
}

const ZERO = new Dec(0);
const HOUR_MS = 3_600_000;

/** The loss as a percent of the supply, rounded half up to 2 decimals (see the module comment). */
export function lossRatePercent(lossKwh: string, supplyKwh: string): string {
  return new Dec(lossKwh).div(supplyKwh).times(100).toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2);
}

/** Qualified: a loss that is not negative, with its displayed rate inside the band (ends included). */
export function isQualified(lossKwh: string, lossRate: string, band: LossBand): boolean {
  if (new Dec(lossKwh).isNeg()) return false;
  return new Dec(lossRate).gte(band.min) && new Dec(lossRate).lte(band.max);
}

/** Consumption of every customer meter in [start, end): kWh when usable, the problem otherwise. */
function customerEnergy(area: AreaMetering, valueAt: ValueAt, start: Date, end: Date) {
  return area.customers.map((c) => ({ c, period: consumptionBetween(c.spans, valueAt, start, end) }));
}

/** Purchased vs sold energy of one area over [start, end). */
export function lossBalance(area: AreaMetering, valueAt: ValueAt, start: Date, end: Date): LossBalance {
  return balanceOf(area, customerEnergy(area, valueAt, start, end), valueAt, start, end);
}

function balanceOf(
  area: AreaMetering,
  energies: ReturnType<typeof customerEnergy>,
  valueAt: ValueAt,
  start: Date,
  end: Date,
): LossBalance {
  const band = area.band ?? DEFAULT_LOSS_BAND;
  const included = energies.filter((e) => e.period.total !== null);
  const excluded: LossExclusion[] = energies
    .filter((e) => e.period.total === null)
    .map(({ c, period }) => {
      const problem = period.problems[0]!;
      return {
        servicePointId: c.servicePointId,
        meterId: problem.meterId,
        ...(c.customerId === undefined ? {} : { customerId: c.customerId }),
        reason: problem.kind,
        detail: problem.message,
      };
    });
  const customersKwh = included.reduce((s, e) => s.plus(e.period.total!), ZERO).toFixed();
  const base = {
    start,
    end,
    hours: Math.round((end.getTime() - start.getTime()) / HOUR_MS),
    customersKwh,
    band,
    meterCount: area.customers.length,
    includedCount: included.length,
    estimatedCount: included.filter((e) => e.period.estimated).length,
    excluded,
  };
  const notComputed = (status: LossStatus, statusDetail: string, supplyKwh: string | null = null) => ({
    ...base,
    status,
    statusDetail,
    supplyKwh,
    supplyEstimated: false,
    lossKwh: null,
    lossRate: null,
    qualified: false,
  });
  if (!area.supply) return notComputed('NO_SUPPLY_METER', 'the area has no supply meter');
  const supply = consumptionBetween([area.supply], valueAt, start, end);
  if (supply.total === null)
    return notComputed('SUPPLY_MISSING_DATA', `supply meter: ${supply.problems.map((p) => p.message).join('; ')}`);
  if (new Dec(supply.total).isZero())
    return notComputed(
      'NO_SUPPLY_ENERGY',
      `the supply meter recorded no energy (customers: ${customersKwh} kWh)`,
      supply.total,
    );
  const lossKwh = new Dec(supply.total).minus(customersKwh).toFixed();
  const lossRate = lossRatePercent(lossKwh, supply.total);
  return {
    ...base,
    status: 'OK',
    statusDetail: null,
    supplyKwh: supply.total,
    supplyEstimated: supply.estimated,
    lossKwh,
    lossRate,
    qualified: isQualified(lossKwh, lossRate, band),
  };
}

/**
 * The balance of [start, end) with the suspect meters ranked. `historyStart` (the start of the
 * period of the same length before) gives each meter its own past consumption, for a flying
 * meter's jump and for the energy a stopped or unread meter would have used.
 */
export function areaLineLoss(
  area: AreaMetering,
  valueAt: ValueAt,
  start: Date,
  end: Date,
  historyStart?: Date,
): AreaLineLoss {
  const energies = customerEnergy(area, valueAt, start, end);
  const balance = balanceOf(area, energies, valueAt, start, end);
  const now = new Map(energies.map((e) => [e.c.servicePointId, e.period]));
  const before = historyStart
    ? new Map(customerEnergy(area, valueAt, historyStart, start).map((e) => [e.c.servicePointId, e.period.total]))
    : new Map<number, string | null>();
  const mean = balance.includedCount ? new Dec(balance.customersKwh).div(balance.includedCount) : ZERO;
  /** What a meter would have used: its own past if known and not zero, else the area's mean. */
  const expected = (c: AreaCustomerMeter) => {
    const past = before.get(c.servicePointId);
    return past && new Dec(past).gt(0)
      ? { kwh: new Dec(past), basis: 'its previous period' }
      : { kwh: mean, basis: "the area's mean per meter" };
  };
  const areaHasLoad =
    (balance.supplyKwh !== null && new Dec(balance.supplyKwh).gt(0)) || new Dec(balance.customersKwh).gt(0);
  const suspects: LossSuspect[] = [];
  const add = (c: AreaCustomerMeter, kind: SuspectKind, score: Dec, detail: string, meterId = c.meterId) =>
    suspects.push({
      servicePointId: c.servicePointId,
      meterId,
      ...(c.customerId === undefined ? {} : { customerId: c.customerId }),
      kind,
      score: score.toFixed(),
      detail,
    });

  for (const c of area.customers) {
    const period = now.get(c.servicePointId)!;
    if (period.total === null) {
      const e = expected(c);
      add(
        c,
        'MISSING_DATA',
        e.kwh,
        `${period.problems[0]!.message}; about ${e.kwh.toDecimalPlaces(2).toFixed()} kWh unknown (${e.basis})`,
        period.problems[0]!.meterId,
      );
    } else {
      const kwh = new Dec(period.total);
      if (kwh.isZero() && areaHasLoad) {
        const e = expected(c);
        add(
          c,
          'STOPPED',
          e.kwh,
          `no consumption while the area had load; about ${e.kwh.toDecimalPlaces(2).toFixed()} kWh expected (${e.basis})`,
        );
      }
      const flying = flyingExcess(c, kwh, balance.hours, before.get(c.servicePointId) ?? null);
      if (flying) add(c, 'FLYING', flying.excess, flying.detail);
    }
    if (c.wrongAreaAlarm) {
      const kwh = period.total === null ? expected(c).kwh : new Dec(period.total);
      add(
        c,
        'WRONG_AREA',
        kwh,
        `an open WRONG_TRANSFORMER_AREA alarm: its ${kwh.toDecimalPlaces(2).toFixed()} kWh may belong to another area`,
      );
    }
  }
  const order: SuspectKind[] = ['MISSING_DATA', 'STOPPED', 'FLYING', 'WRONG_AREA'];
  suspects.sort(
    (a, b) => new Dec(b.score).cmp(a.score) || order.indexOf(a.kind) - order.indexOf(b.kind) || a.meterId - b.meterId,
  );
  return { ...balance, suspects };
}

/** How far a meter's consumption is above what it can have delivered, or null when it is not. */
function flyingExcess(c: AreaCustomerMeter, kwh: Dec, hours: number, past: string | null) {
  const limits: { limit: Dec; why: string }[] = [];
  if (c.contractedCapacity && new Dec(c.contractedCapacity).gt(0)) {
    const limit = new Dec(c.contractedCapacity).times(hours).times(FLYING_CAPACITY_FACTOR);
    limits.push({ limit, why: `${c.contractedCapacity} kVA x ${hours} h x ${FLYING_CAPACITY_FACTOR}` });
  }
  if (past && new Dec(past).gt(0)) {
    const limit = new Dec(past).times(FLYING_HISTORY_FACTOR);
    if (kwh.minus(past).gte(FLYING_HISTORY_FLOOR_KWH))
      limits.push({ limit, why: `${FLYING_HISTORY_FACTOR} x its previous ${past} kWh` });
  }
  const exceeded = limits.filter((l) => kwh.gt(l.limit)).sort((a, b) => a.limit.cmp(b.limit));
  if (!exceeded.length) return null;
  const lowest = exceeded[0]!;
  return {
    excess: kwh.minus(lowest.limit),
    detail: `${kwh.toFixed()} kWh is more than ${lowest.limit.toFixed()} kWh (${lowest.why})`,
  };
}
