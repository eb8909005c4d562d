import { HazardCategory } from '../../orm/entities/enums.js';

/**
 * Points a verified report earns its reporter by default (paper 3.3: reward staff who find hazards
 * in meters and boxes), weighted by what the hazard costs the company or endangers: theft and
 * dangerous wiring most, a broken seal or a faulty meter next, a damaged box less.
 */
export const DEFAULT_POINTS: Readonly<Record<HazardCategory, number>> = {
  [HazardCategory.ELECTRICITY_THEFT]: 10,
  [HazardCategory.WIRING_DANGER]: 8,
  [HazardCategory.SEAL_BROKEN]: 5,
  [HazardCategory.METER_FAULT]: 5,
  [HazardCategory.METER_BOX_DAMAGE]: 3,
  [HazardCategory.OTHER]: 2,
};

/** The points a verifier may award instead of the default. */
export const MIN_POINTS = 1;
export const MAX_POINTS = 100;

/** The points a verification awards: those given, else the category's default. */
export const pointsFor = (category: HazardCategory, given?: number | null): number => given ?? DEFAULT_POINTS[category];
