import { z } from 'zod';
import { Dec } from './decimal.js';

/**
 * A WGS-84 coordinate from a phone: a decimal string within ±`limit` degrees, rounded to the 6
 * decimals the database keeps (about 0.1 m; phones report more digits than they can measure).
 */
const coordinate = (limit: number) =>
  z
    .string()
    .regex(/^-?\d{1,3}(\.\d{1,12})?$/, 'must be a decimal number of degrees')
    .refine((v) => new Dec(v).abs().lte(limit), `must be between -${limit} and ${limit}`)
    .transform((v) => new Dec(v).toFixed(6));

export const latitude = coordinate(90);
export const longitude = coordinate(180);

/** Latitude and longitude come together or not at all (reported at the longitude). */
export function bothOrNeither(value: { latitude?: unknown; longitude?: unknown }): boolean {
  return (value.latitude == null) === (value.longitude == null);
}
export const BOTH_OR_NEITHER = { path: ['longitude'], message: 'latitude and longitude go together' };
