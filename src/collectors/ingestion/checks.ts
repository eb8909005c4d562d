import { Dec } from '../../shared/decimal.js';

/** Flags stored with a reading (a bitmask in `reading.flags`). */
export const ReadingFlag = {
  /** Lower than the previous value of the same register, without a plausible rollover. */
  DECREASE: 1,
  /** Passed the register's maximum and started again from zero. */
  ROLLOVER: 2,
  /** More energy than the contracted capacity can deliver in the elapsed time. */
  IMPLAUSIBLE_JUMP: 4,
} as const;

export interface MeterFacts {
  installedAt?: Date;
  registerDigits: number;
  registerDecimals: number;
  /** CT x PT. */
  multiplier: string;
  /** kVA of the customer the meter measures now, if any. */
  contractedCapacity?: string;
}

export interface PreviousValue {
  value: string;
  measuredAt: Date;
}

export type Verdict = { keep: true; quality: 'GOOD' | 'SUSPECT'; flags: number } | { keep: false; reason: string };

/** Rollover is assumed when the old value was in the top tenth of the register and the new one in the bottom tenth. */
const ROLLOVER_BAND = new Dec('0.1');
/** Headroom over contracted capacity before a jump counts as implausible (power factor, short peaks). */
const JUMP_FACTOR = new Dec('1.5');
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * First-line checks of one cumulative register value against the meter and the previous value.
 * Values that cannot be right (future, before installation, wider than the register) are not kept;
 * values that may be wrong are kept as SUSPECT with flags, for validation to look at.
 */
export function checkReading(
  reading: { value: string; measuredAt: Date; cumulative: boolean },
  meter: MeterFacts,
  previous: PreviousValue | undefined,
  now: Date,
): Verdict {
  if (reading.measuredAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS)
    return { keep: false, reason: 'measured in the future' };
  if (meter.installedAt && reading.measuredAt < meter.installedAt)
    return { keep: false, reason: 'measured before the meter was installed' };
  const value = new Dec(reading.value);
  const span = new Dec(10).pow(meter.registerDigits);
  if (value.isNegative() || value.gte(span))
    return { keep: false, reason: `does not fit the ${meter.registerDigits}-digit register` };
  if (!reading.cumulative || !previous || reading.measuredAt <= previous.measuredAt)
    return { keep: true, quality: 'GOOD', flags: 0 };

  let delta = value.minus(previous.value);
  let flags = 0;
  if (delta.isNegative()) {
    const rolledOver =
      new Dec(previous.value).gte(span.times(new Dec(1).minus(ROLLOVER_BAND))) && value.lt(span.times(ROLLOVER_BAND));
    if (!rolledOver) return { keep: true, quality: 'SUSPECT', flags: ReadingFlag.DECREASE };
    flags |= ReadingFlag.ROLLOVER;
    delta = delta.plus(span);
  }
  if (meter.contractedCapacity) {
    const hours = new Dec(reading.measuredAt.getTime() - previous.measuredAt.getTime()).div(3_600_000);
    // Register units are primary kWh / multiplier: compare in register units.
    const possible = new Dec(meter.contractedCapacity).times(JUMP_FACTOR).times(hours).div(meter.multiplier);
    if (delta.gt(possible)) return { keep: true, quality: 'SUSPECT', flags: flags | ReadingFlag.IMPLAUSIBLE_JUMP };
  }
  return { keep: true, quality: 'GOOD', flags };
}
