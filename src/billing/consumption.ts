import { Dec } from '../shared/decimal.js';
import { isPlausibleRollover, registerSpan, toTenThousandths } from '../shared/reading-flags.js';
import { BANDS, type Band, type EnergyRegister } from './bands.js';

/**
 * Energy from cumulative registers (ADR 0014). A period's consumption is, for every meter that was
 * on the service point during it, (value at the end - value at the start) x multiplier, where the
 * start is the period's start or the meter's installation (its initial reading) and the end is the
 * period's end or the meter's removal (its final reading). A meter exchange therefore adds the old
 * meter's part up to its final reading and the new meter's part from its initial reading, and a
 * late or corrected value changes every period it bounds, with nothing stored to recompute.
 */

/** Register values of one meter at one instant; the total is required, bands are optional. */
export type RegisterSet = Partial<Record<EnergyRegister, string>>;

/** One meter's time on a service point (a meter assignment), or a supply meter's whole life. */
export interface MeterSpan {
  meterId: number;
  /** CT ratio x PT ratio. */
  multiplier: string;
  /** Integer digits of the register: it rolls over to zero at 10^digits. */
  registerDigits: number;
  /** When the meter was installed; `initial` holds its values then. Unknown for a supply meter. */
  installedAt?: Date;
  initial?: RegisterSet;
  removedAt?: Date;
  final?: RegisterSet;
}

/** A stored register value at an instant, and whether it was estimated rather than measured. */
export interface RegisterValue {
  value: string;
  estimated: boolean;
}

export type ValueAt = (meterId: number, register: EnergyRegister, at: Date) => RegisterValue | undefined;

/** Where one end of a part comes from: a reading at the period boundary, or the assignment's value. */
export interface PartEnd {
  at: Date;
  value: string;
  from: 'READING' | 'INSTALLATION' | 'REMOVAL';
  estimated: boolean;
}

/** One meter's contribution to a period: the determinants a bill shows. */
export interface ConsumptionPart {
  meterId: number;
  multiplier: string;
  start: PartEnd;
  end: PartEnd;
  /** The register passed its maximum between start and end. */
  rolledOver: boolean;
  kwh: string;
  /** kWh per band when the meter's band registers were read at both ends. */
  bands?: Record<Band, string>;
}

export interface PeriodConsumption {
  start: Date;
  end: Date;
  /** kWh, exact; null when a value is missing or impossible (see `problems`). */
  total: string | null;
  /**
   * kWh per band; null when no band registers are known. Sums exactly to `total`: the flat band
   * (T3) is the total less the other three, as bills state it, so register resolution never makes
   * the bands and the total disagree (larger differences are VEE's TOU_SUM_MISMATCH).
   */
  bands: Record<Band, string> | null;
  /** Some value used was estimated. */
  estimated: boolean;
  parts: ConsumptionPart[];
  problems: ConsumptionProblem[];
}

export interface ConsumptionProblem {
  meterId: number;
  kind: 'MISSING_VALUE' | 'REGISTER_DECREASE' | 'BANDS_EXCEED_TOTAL';
  at: Date;
  message: string;
}

/** Register values are compared as integers of ten-thousandths (numeric(20,4)). */
const SCALE = new Dec(10_000);

/**
 * Difference of two register values with rollover: a value lower than the start is a rollover only
 * when the start was in the top tenth of the register and the end in the bottom tenth (the rule
 * ingestion and validation use, `isPlausibleRollover`); otherwise it is a decrease, which no
 * consumption can explain. Register values have at most 4 decimals (numeric(20,4)), so the
 * arithmetic is exact in ten-thousandths.
 */
export function registerDelta(
  start: string,
  end: string,
  registerDigits: number,
): { delta: string; rolledOver: boolean } | null {
  const a = toTenThousandths(start);
  const b = toTenThousandths(end);
  const asText = (tenThousandths: bigint) => new Dec(tenThousandths.toString()).div(10_000).toFixed();
  if (b >= a) return { delta: asText(b - a), rolledOver: false };
  const span = registerSpan(registerDigits);
  return isPlausibleRollover(a, b, span) ? { delta: asText(span - a + b), rolledOver: true } : null;
}

function overlaps(span: MeterSpan, start: Date, end: Date): boolean {
  if (span.installedAt && span.installedAt >= end) return false;
  if (span.removedAt && span.removedAt <= start) return false;
  return true;
}

/** The value of one register at one end of a part, or why there is none. */
function endValue(
  span: MeterSpan,
  register: EnergyRegister,
  boundary: Date,
  side: 'start' | 'end',
  valueAt: ValueAt,
): PartEnd | undefined {
  if (side === 'start' && span.installedAt && span.installedAt > boundary) {
    const v = span.initial?.[register];
    return v === undefined ? undefined : { at: span.installedAt, value: v, from: 'INSTALLATION', estimated: false };
  }
  if (side === 'end' && span.removedAt && span.removedAt < boundary) {
    const v = span.final?.[register];
    return v === undefined ? undefined : { at: span.removedAt, value: v, from: 'REMOVAL', estimated: false };
  }
  // A meter installed exactly at the boundary starts from its initial reading too.
  if (side === 'start' && span.installedAt?.getTime() === boundary.getTime() && span.initial?.[register] !== undefined)
    return { at: boundary, value: span.initial[register]!, from: 'INSTALLATION', estimated: false };
  if (side === 'end' && span.removedAt?.getTime() === boundary.getTime() && span.final?.[register] !== undefined)
    return { at: boundary, value: span.final[register]!, from: 'REMOVAL', estimated: false };
  const r = valueAt(span.meterId, register, boundary);
  return r && { at: boundary, value: r.value, from: 'READING', estimated: r.estimated };
}

/**
 * Splits `total` over the bands in proportion to `weights`, to 4 decimals, the remainder on the
 * largest band so the parts sum exactly to the total. Used for a part whose band registers are not
 * known (an exchange recorded without band readings).
 */
export function allocateToBands(total: string, weights: Record<Band, string>): Record<Band, string> {
  const sum = BANDS.reduce((s, b) => s.plus(weights[b]), new Dec(0));
  const out = {} as Record<Band, string>;
  if (sum.isZero()) {
    for (const b of BANDS) out[b] = b === 'T3' ? new Dec(total).toFixed() : '0';
    return out;
  }
  let given = new Dec(0);
  const largest = BANDS.reduce((best, b) => (new Dec(weights[b]).gt(weights[best]) ? b : best), 'T3' as Band);
  for (const b of BANDS) {
    if (b === largest) continue;
    const share = new Dec(total).times(weights[b]).div(sum).times(SCALE).floor().div(SCALE);
    out[b] = share.toFixed();
    given = given.plus(share);
  }
  out[largest] = new Dec(total).minus(given).toFixed();
  return out;
}

/** Consumption of one service point (its meter spans) in [start, end). */
export function consumptionBetween(spans: readonly MeterSpan[], valueAt: ValueAt, start: Date, end: Date) {
  const result: PeriodConsumption = {
    start,
    end,
    total: null,
    bands: null,
    estimated: false,
    parts: [],
    problems: [],
  };
  for (const span of spans) {
    if (!overlaps(span, start, end)) continue;
    const from = endValue(span, 'TOTAL', start, 'start', valueAt);
    const to = endValue(span, 'TOTAL', end, 'end', valueAt);
    if (!from || !to) {
      const at = !from ? (span.installedAt && span.installedAt > start ? span.installedAt : start) : end;
      result.problems.push({
        meterId: span.meterId,
        kind: 'MISSING_VALUE',
        at,
        message: `no total register value of meter ${span.meterId} at ${at.toISOString()}`,
      });
      continue;
    }
    const delta = registerDelta(from.value, to.value, span.registerDigits);
    if (!delta) {
      result.problems.push({
        meterId: span.meterId,
        kind: 'REGISTER_DECREASE',
        at: to.at,
        message: `meter ${span.meterId}'s register fell from ${from.value} to ${to.value}`,
      });
      continue;
    }
    const part: ConsumptionPart = {
      meterId: span.meterId,
      multiplier: span.multiplier,
      start: from,
      end: to,
      rolledOver: delta.rolledOver,
      kwh: new Dec(delta.delta).times(span.multiplier).toFixed(),
    };
    const bands = bandDeltas(span, start, end, valueAt);
    if (bands) part.bands = bands;
    result.parts.push(part);
  }
  if (result.problems.length) return result;
  result.estimated = result.parts.some((p) => p.start.estimated || p.end.estimated);
  result.total = result.parts.reduce((s, p) => s.plus(p.kwh), new Dec(0)).toFixed();
  const bands = combineBands(result.parts);
  if (bands) {
    const flat = new Dec(result.total).minus(bands.T1).minus(bands.T2).minus(bands.T4);
    if (flat.isNeg()) {
      result.problems.push({
        meterId: result.parts[0]!.meterId,
        kind: 'BANDS_EXCEED_TOTAL',
        at: end,
        message: `the band registers add up to more than the total register`,
      });
      result.total = null;
      return result;
    }
    result.bands = { ...bands, T3: flat.toFixed() };
  }
  return result;
}

/** A part's kWh per band, when every band register has a usable value at both ends. */
function bandDeltas(span: MeterSpan, start: Date, end: Date, valueAt: ValueAt): Record<Band, string> | undefined {
  const out = {} as Record<Band, string>;
  for (const band of BANDS) {
    const from = endValue(span, band, start, 'start', valueAt);
    const to = endValue(span, band, end, 'end', valueAt);
    const delta = from && to && registerDelta(from.value, to.value, span.registerDigits);
    if (!delta) return undefined;
    out[band] = new Dec(delta.delta).times(span.multiplier).toFixed();
  }
  return out;
}

/**
 * The period's bands: the parts' own where known; a part without band values is spread like the
 * parts that have them; with no band values at all there is no band split.
 */
function combineBands(parts: ConsumptionPart[]): Record<Band, string> | null {
  const known = parts.filter((p) => p.bands);
  if (!known.length) return null;
  const weights = {} as Record<Band, string>;
  for (const b of BANDS) weights[b] = known.reduce((s, p) => s.plus(p.bands![b]), new Dec(0)).toFixed();
  const totals = { ...weights };
  for (const p of parts) {
    if (p.bands) continue;
    const spread = allocateToBands(p.kwh, weights);
    for (const b of BANDS) totals[b] = new Dec(totals[b]).plus(spread[b]).toFixed();
  }
  return totals;
}

/** A map-backed ValueAt, keyed by meter, register and instant. */
export class RegisterValues {
  private readonly values = new Map<string, RegisterValue>();
  private static key(meterId: number, register: EnergyRegister, at: Date) {
    return `${meterId}|${register}|${at.getTime()}`;
  }
  set(meterId: number, register: EnergyRegister, at: Date, value: RegisterValue): void {
    this.values.set(RegisterValues.key(meterId, register, at), value);
  }
  readonly get: ValueAt = (meterId, register, at) => this.values.get(RegisterValues.key(meterId, register, at));
  get size(): number {
    return this.values.size;
  }
}
