// The settlement report of a unit for a month, and billing statistics for dashboards.
import { ReportResolver } from './report.resolver.js';

export const resolvers = [ReportResolver] as const;

export { settlementReport } from './report.service.js';
