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

const FUTURE_TOLERANCE_MS = 5 * 60_000;
const SCALE = 10_000n;

/**
 * A non-negative decimal string with at most 4 decimals as an exact integer of ten-thousandths.
 * BigInt keeps the checks exact (no floats) and is much cheaper than a decimal library per value.
 */
export function toTenThousandths(value: string): bigint {
  const dot = value.indexOf('.');
  if (dot < 0) return BigInt(value) * SCALE;
  const fraction = value.slice(dot + 1, dot + 5).padEnd(4, '0');
  return BigInt(value.slice(0, dot) || '0') * SCALE + BigInt(fraction);
}

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
    return { keep: false, reason: 'measured in the future' };
  if (meter.installedAt && reading.measuredAt < meter.installedAt)
    return { keep: false, reason: 'measured before the meter was installed' };
  const value = toTenThousandths(reading.value);
  const span = 10n ** BigInt(meter.registerDigits) * SCALE;
  if (value >= span) return { keep: false, reason: `does not fit the ${meter.registerDigits}-digit register` };
  if (!reading.cumulative || !previous || reading.measuredAt <= previous.measuredAt)
    return { keep: true, quality: 'GOOD', flags: 0 };

  const before = toTenThousandths(previous.value);
  let delta = value - before;
  let flags = 0;
  if (delta < 0n) {
    const rolledOver = before * 10n >= span * 9n && value * 10n < span;
    if (!rolledOver) return { keep: true, quality: 'SUSPECT', flags: ReadingFlag.DECREASE };
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
