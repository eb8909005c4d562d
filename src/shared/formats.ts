import { z } from 'zod';

/**
 * A decimal string that fits numeric(precision, scale): at most `intDigits` digits before the
 * point and `scale` after it. Values are rejected, never silently rounded.
 */
export function decimal(intDigits: number, scale: number, opts: { min?: 'positive' | 'nonNegative' } = {}) {
  const pattern = new RegExp(`^${opts.min ? '' : '-?'}\\d{1,${intDigits}}${scale ? `(\\.\\d{1,${scale}})?` : ''}$`);
  const what = `${scale ? `a number with at most ${intDigits} digits before and ${scale} after the point` : `a whole number of at most ${intDigits} digits`}`;
  let schema = z.string().regex(pattern, `must be ${opts.min ? 'non-negative ' : ''}${what}`);
  if (opts.min === 'positive') schema = schema.refine((v) => /[1-9]/.test(v), 'must be greater than 0') as never;
  return schema;
}

/** Field formats shared by every module (one definition each). */
export const formats = {
  /** Customer account number: 10 to 16 digits. */
  accountNo: z.string().regex(/^\d{10,16}$/, 'must be 10 to 16 digits'),
  /** DL/T 645 communication address: 12 BCD digits. */
  commAddress: z.string().regex(/^\d{12}$/, 'must be 12 decimal digits (BCD address)'),
  code: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'must be 1-32 letters, digits, dot, dash or underscore'),
  barcode: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/, 'must be 4-64 letters, digits, dash or underscore'),
  name: z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  address: z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
  phone: z.string().regex(/^\+?[0-9-]{5,20}$/, 'must be a phone number (digits, dash, optional +)'),
  /** Mainland resident ID: 17 digits and a check character. */
  idNumber: z.string().regex(/^\d{17}[\dXx]$/, 'must be an 18-character resident ID number'),
  localTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:MM'),
  localDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD'),
  timeZone: z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Asia/Shanghai'),
  latitude: decimal(2, 6).refine((v) => Math.abs(Number(v)) <= 90, 'must be between -90 and 90'),
  longitude: decimal(3, 6).refine((v) => Math.abs(Number(v)) <= 180, 'must be between -180 and 180'),
  /** numeric(12,2): contracted capacity in kVA. */
  capacity: decimal(10, 2, { min: 'positive' }),
  /** numeric(12,4): CT and PT ratios. */
  ratio: decimal(8, 4, { min: 'positive' }),
  /** numeric(20,4): register values; the meter's own digits are checked separately. */
  registerValue: decimal(16, 4, { min: 'nonNegative' }),
  accuracyClass: z
    .string()
    .regex(
      /^(0\.2S?|0\.5S?|1(\.0)?|2(\.0)?|A|B|C|D)$/,
      'must be an accuracy class such as 0.5S, 1.0, 2.0, A, B, C or D',
    ),
  password: z.string().min(12, 'must be at least 12 characters').max(256, 'must be at most 256 characters'),
  username: z.string().regex(/^[a-zA-Z0-9_.-]{3,64}$/, 'must be 3-64 letters, digits, dot, dash or underscore'),
};
