/**
 * The catalogue of reading flags: one bit per validation rule, stored in `reading.flags`
 * (smallint). Ingestion's first-line checks and VEE validation set the same bits, so a reading's
 * failed rules read the same whoever found them. The first three values are those stored before
 * VEE existed and must never change.
 */
export const ReadingFlag = {
  /** Lower than the previous value of the same register, without a plausible rollover. */
  REGISTER_DECREASE: 1,
  /** Passed the register's maximum (10^digits) and started again from zero. Informational. */
  ROLLOVER: 2,
  /** More energy than the contracted capacity can deliver in the elapsed time (first-line check). */
  IMPLAUSIBLE_JUMP: 4,
  /** A day's consumption far above the median of the days before it. */
  SPIKE: 8,
  /** The last of (at least) a number of consecutive days without consumption. */
  ZERO_CONSUMPTION: 16,
  /** The TOU band registers do not add up to the total register. */
  TOU_SUM_MISMATCH: 32,
  /** Measured too far from the local midnight it stands for. */
  CLOCK: 64,
  /** Maximum demand above the contracted capacity times a factor. */
  DEMAND_OVER_CAPACITY: 128,
} as const;

export type VeeRuleName = keyof typeof ReadingFlag;
export const VEE_RULES = Object.keys(ReadingFlag) as VeeRuleName[];

/** Flags that are not failures: a rollover is how a register works, billing handles it. */
export const INFORMATIONAL_FLAGS = ReadingFlag.ROLLOVER;

/** The names of the bits set in `flags`, in catalogue order. */
export function rulesOf(flags: number): VeeRuleName[] {
  return VEE_RULES.filter((rule) => (flags & ReadingFlag[rule]) !== 0);
}

export function flagsOf(rules: readonly VeeRuleName[]): number {
  return rules.reduce((flags, rule) => flags | ReadingFlag[rule], 0);
}

/** Quality that follows from the flags: BAD for a decrease, SUSPECT for any other failure. */
export function qualityOf(flags: number): 'GOOD' | 'SUSPECT' | 'BAD' {
  if (flags & ReadingFlag.REGISTER_DECREASE) return 'BAD';
  return flags & ~INFORMATIONAL_FLAGS ? 'SUSPECT' : 'GOOD';
}

const SCALE = 10_000n;

/**
 * A non-negative decimal string with at most 4 decimals (a register value) as an exact integer of
 * ten-thousandths. BigInt keeps the checks exact (no floats) and is much cheaper than a decimal
 * library per value.
 */
export function toTenThousandths(value: string): bigint {
  const dot = value.indexOf('.');
  if (dot < 0) return BigInt(value) * SCALE;
  const fraction = value.slice(dot + 1, dot + 5).padEnd(4, '0');
  return BigInt(value.slice(0, dot) || '0') * SCALE + BigInt(fraction);
}

/** The width of a register of `digits` integer digits, in ten-thousandths (the value it rolls over at). */
export const registerSpan = (digits: number): bigint => 10n ** BigInt(digits) * SCALE;

/**
 * Whether a fall from `before` to `value` (ten-thousandths) is a rollover at the register's width
 * rather than a decrease: the old value in the top tenth of the register and the new one in the
 * bottom tenth.
 */
export function isPlausibleRollover(before: bigint, value: bigint, span: bigint): boolean {
  return before * 10n >= span * 9n && value * 10n < span;
}
