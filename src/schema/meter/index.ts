// Meters: the archive, and the meters of a unit or a box.
import { MeterBoxMetersResolver, MeterResolver, OrgUnitMetersResolver } from './meter.resolver.js';

export const resolvers = [MeterResolver, OrgUnitMetersResolver, MeterBoxMetersResolver] as const;

export { MeterConnection, MeterType } from './meter.type.js';
