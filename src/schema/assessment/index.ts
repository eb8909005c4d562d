// Assessment KPIs of a unit and of its field staff over local days (docs/kpis.md).
import { KpiLineLossAreaResolver, KpiPersonResolver, KpiResolver } from './kpi.resolver.js';

export const resolvers = [KpiResolver, KpiPersonResolver, KpiLineLossAreaResolver] as const;

export { kpiReport } from './kpi.service.js';
