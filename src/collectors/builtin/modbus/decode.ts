/**
 * Register words to decimal strings. Pure functions, no I/O.
 *
 * A Modbus register is one 16-bit word, sent high byte first. 32-bit values span two registers;
 * `wordOrder: 'big'` means the high word comes first (the Modbus convention), `'little'` means the
 * low word comes first ("word-swapped", which many meters use).
 *
 * Integers are scaled with exact decimal arithmetic: 123456789 × "0.01" is "1234567.89", never
 * 1234567.8900000001. A float32 is rounded once, from the digits it carries to the requested
 * number of decimals: 98765.43 sent as float32 (98765.4296875) reads "98765.43" with 2 decimals.
 */
import { Decimal } from 'decimal.js';

export const REGISTER_TYPES = ['uint16', 'int16', 'uint32', 'int32', 'float32'] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];
export type WordOrder = 'big' | 'little';

/** How many 16-bit registers a value of each type occupies. */
export const REGISTER_COUNT: Readonly<Record<RegisterType, 1 | 2>> = {
  uint16: 1,
  int16: 1,
  uint32: 2,
  int32: 2,
  float32: 2,
};

export interface DecodeSpec {
  type: RegisterType;
  /** Default 'big' (high word first). */
  wordOrder?: WordOrder;
  /** Decimal multiplier applied exactly, e.g. "0.01". Default "1". */
  scale?: string;
  /** Decimals of the result after scaling. Default 2. */
  decimals?: number;
}

export type Decoded = { ok: true; value: string } | { ok: false; reason: string };

/** Enough precision that multiplying a 32-bit value or a float32 by a scale is exact. */
const Exact = Decimal.clone({ precision: 80, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -100, toExpPos: 100 });

const DECIMAL_STRING = /^-?\d+(\.\d+)?$/;

/** True for a plain decimal string such as "0.01", "10" or "-1". */
export function isDecimalString(text: string): boolean {
  return DECIMAL_STRING.test(text);
}

/** The two words of a 32-bit value as one unsigned number, honouring the word order. */
function joinWords(words: readonly number[], wordOrder: WordOrder): number {
  const [first, second] = words as [number, number];
  const [high, low] = wordOrder === 'big' ? [first, second] : [second, first];
  return high * 0x1_0000 + low;
}

/**
 * The raw value the words hold: a bigint for the integer types, a number for float32.
 * Throws a RangeError when the words do not fit the type; {@link decodeRegisters} reports that as a reason.
 */
export function rawValue(words: readonly number[], type: RegisterType, wordOrder: WordOrder = 'big'): bigint | number {
  const count = REGISTER_COUNT[type];
  if (words.length !== count) throw new RangeError(`expected ${count} register(s) for ${type}, got ${words.length}`);
  for (const word of words) {
    if (!Number.isInteger(word) || word < 0 || word > 0xffff)
      throw new RangeError(`register value ${word} is not 16 bits`);
  }
  switch (type) {
    case 'uint16':
      return BigInt(words[0]!);
    case 'int16':
      return BigInt.asIntN(16, BigInt(words[0]!));
    case 'uint32':
      return BigInt(joinWords(words, wordOrder));
    case 'int32':
      return BigInt.asIntN(32, BigInt(joinWords(words, wordOrder)));
    case 'float32': {
      const view = new DataView(new ArrayBuffer(4));
      view.setUint32(0, joinWords(words, wordOrder));
      return view.getFloat32(0);
    }
  }
}

/** `raw × scale`, rounded half-up to `decimals` places, as a plain decimal string ("-0.00" becomes "0.00"). */
export function formatScaled(raw: bigint | number | string, scale = '1', decimals = 2): string {
  if (!isDecimalString(scale)) throw new RangeError(`scale "${scale}" is not a decimal string`);
  // A float32 widened to a double is exact; its shortest round-trip text identifies it uniquely
  // and carries far more digits than the at most six decimals kept here.
  const value = new Exact(typeof raw === 'bigint' ? raw.toString() : raw).times(scale);
  const text = value.toFixed(decimals, Decimal.ROUND_HALF_UP);
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;
}

/** Decodes the words of one value into a decimal string, or the reason it cannot be read. */
export function decodeRegisters(words: readonly number[], spec: DecodeSpec): Decoded {
  let raw: bigint | number;
  try {
    raw = rawValue(words, spec.type, spec.wordOrder ?? 'big');
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  if (typeof raw === 'number' && Number.isNaN(raw)) return { ok: false, reason: 'value is not a number (float32 NaN)' };
  if (typeof raw === 'number' && !Number.isFinite(raw)) return { ok: false, reason: 'value is infinite (float32)' };
  try {
    return { ok: true, value: formatScaled(raw, spec.scale ?? '1', spec.decimals ?? 2) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
