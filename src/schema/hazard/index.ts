// Hazards reported in the field: report, verify or dismiss, points.
import { HazardReportResolver } from './hazard.resolver.js';

export const resolvers = [HazardReportResolver] as const;

export { HazardReportObject } from './hazard.type.js';
