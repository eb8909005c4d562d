// The organisation tree (company, bureau, supply station, transformer area).
import { OrgUnitResolver } from './org-unit.resolver.js';

export const resolvers = [OrgUnitResolver] as const;

export { OrgUnitType } from './org-unit.type.js';
