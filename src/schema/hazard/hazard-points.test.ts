import { describe, expect, it } from 'vitest';
import { HazardCategory } from '../../orm/entities/enums.js';
import { DEFAULT_POINTS, pointsFor } from './hazard-points.js';

describe('hazard points', () => {
  it('has a default for every category, theft highest', () => {
    expect(Object.keys(DEFAULT_POINTS).sort()).toEqual(Object.values(HazardCategory).sort());
    expect(pointsFor(HazardCategory.ELECTRICITY_THEFT)).toBe(10);
    expect(pointsFor(HazardCategory.WIRING_DANGER)).toBe(8);
    expect(pointsFor(HazardCategory.SEAL_BROKEN)).toBe(5);
    expect(pointsFor(HazardCategory.METER_FAULT)).toBe(5);
    expect(pointsFor(HazardCategory.METER_BOX_DAMAGE)).toBe(3);
    expect(pointsFor(HazardCategory.OTHER)).toBe(2);
    expect(Math.max(...Object.values(DEFAULT_POINTS))).toBe(DEFAULT_POINTS.ELECTRICITY_THEFT);
  });

  it("takes the verifier's points when given", () => {
    expect(pointsFor(HazardCategory.OTHER, 40)).toBe(40);
    expect(pointsFor(HazardCategory.OTHER, null)).toBe(2);
  });
});
