import { isPlausibleRollover, ReadingFlag, registerSpan, toTenThousandths } from '../../shared/reading-flags.js';

// Kept importable from here: collectors and their tests know the flags by this module.
export { ReadingFlag, toTenThousandths };

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

/** A value not kept names the input it is wrong in: its time or the value itself. */
export type Verdict =
  | { keep: true; quality: 'GOOD' | 'SUSPECT'; flags: number }
  | { keep: false; reason: string; field: 'measuredAt' | 'value' };

const FUTURE_TOLERANCE_MS = 5 * 60_000;
const SCALE = 10_000n;

/**
 * First-line checks of one cumulative register value against the meter and the previous value.
 * Values that cannot be right (future, before installation, wider than the register) are not kept;
 * values that may be wrong are kept as SUSPECT with flags, for validation to look at.
 * Rollover: the old value in the top tenth of the register and the new one in the bottom tenth.
 * Jump: more energy than 1.5 x the contracted capacity (kVA, as kW) over the elapsed time.
 */
export function checkReading(
  reading: { value: string; measuredAt: Date; cumulative: boolean },
  meter: MeterFacts,
  previous: PreviousValue | undefined,
  now: Date,
): Verdict {
  if (reading.measuredAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS)
    return { keep: false, reason: 'measured in the future', field: 'measuredAt' };
  if (meter.installedAt && reading.measuredAt < meter.installedAt)
    return { keep: false, reason: 'measured before the meter was installed', field: 'measuredAt' };
  const value = toTenThousandths(reading.value);
  const span = registerSpan(meter.registerDigits);
  if (value >= span)
    return { keep: false, reason: `does not fit the ${meter.registerDigits}-digit register`, field: 'value' };
  if (!reading.cumulative || !previous || reading.measuredAt <= previous.measuredAt)
    return { keep: true, quality: 'GOOD', flags: 0 };

  const before = toTenThousandths(previous.value);
  let delta = value - before;
  let flags = 0;
  if (delta < 0n) {
    if (!isPlausibleRollover(before, value, span))
      return { keep: true, quality: 'SUSPECT', flags: ReadingFlag.REGISTER_DECREASE };
    flags |= ReadingFlag.ROLLOVER;
    delta += span;
  }
  if (meter.contractedCapacity) {
    // delta x multiplier (primary kWh) > capacity x 1.5 x elapsed hours, all in exact integers:
    // delta[1e-4] * mult[1e-4] * 10 * 3_600_000 > cap[1e-4] * 15 * elapsedMs * 1e4
    const elapsedMs = BigInt(reading.measuredAt.getTime() - previous.measuredAt.getTime());
    const primary = delta * toTenThousandths(meter.multiplier) * 36_000_000n;
    const possible = toTenThousandths(meter.contractedCapacity) * 15n * elapsedMs * SCALE;
    if (primary > possible) return { keep: true, quality: 'SUSPECT', flags: flags | ReadingFlag.IMPLAUSIBLE_JUMP };
  }
  return { keep: true, quality: 'GOOD', flags };
}
