// Line loss of transformer areas (supply against customers' energy) and their qualification bands.
import {
  LineLossExclusionResolver,
  LineLossResolver,
  LineLossSuspectResolver,
  OrgUnitLineLossBandResolver,
} from './line-loss.resolver.js';

export const resolvers = [
  LineLossResolver,
  LineLossExclusionResolver,
  LineLossSuspectResolver,
  OrgUnitLineLossBandResolver,
] as const;

export { type AreaLineLossResult, lineLossOfAreas } from './line-loss.service.js';
export { LineLossAreaType, LineLossBandType, LineLossStatus } from './line-loss.type.js';
