import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { Context } from '../common/index.js';
import { toGlobalId } from '../../shared/global-id.js';
import { billingStatistics } from './billing-statistics.js';
import { categoryTotals, lineKindTotals, settlementReport } from './report.service.js';
import { BillingPeriodStatisticsType, SettlementReportType } from './report.type.js';

@Resolver()
export class ReportResolver {
  @Query(() => SettlementReportType, {
    description:
      "View settlement report (paper 3.5): a bureau's, station's or transformer area's bills for a month, with exact totals by customer category, tier, TOU band, line kind, supply station and transformer area (with the area's line loss), and the customers the latest run could not bill. For printing: GET /reports/settlement.pdf?orgUnitId=&period= (and .csv), with the same token.",
  })
  async settlementReport(
    @Ctx() ctx: Context,
    @Arg('orgUnitId', () => ID) orgUnitId: string,
    @Arg('period', { description: 'YYYY-MM: the month in which the billing cycles close.' }) period: string,
  ): Promise<SettlementReportType> {
    const report = await settlementReport(ctx, orgUnitId, period);
    const { aggregate } = report;
    return {
      orgUnit: report.orgUnit,
      period: report.period,
      generatedAt: report.generatedAt,
      totals: aggregate.totals,
      statusCounts: report.statusCounts,
      byCategory: categoryTotals(aggregate),
      byTier: aggregate.byTier.map(({ key, ...rest }) => ({ ...rest, tier: key })),
      byBand: aggregate.byBand.map(({ key, ...rest }) => ({ ...rest, band: key })),
      byLineKind: lineKindTotals(aggregate),
      stations: report.stations,
      areas: report.areas,
      latestRun: report.latestRun,
      failures: report.failures.map((f) => ({ ...f, customerId: toGlobalId('Customer', f.customerId) })),
    } as unknown as SettlementReportType;
  }

  @Query(() => [BillingPeriodStatisticsType], {
    description:
      'Billing per month (YYYY-MM, from and to included, at most 24 months) for dashboards: customers billed, kWh and amount of the current bill versions (as in settlementReport), by category, versions by status, and failures of the latest runs.',
  })
  billingStatistics(
    @Ctx() ctx: Context,
    @Arg('from') from: string,
    @Arg('to') to: string,
    @Arg('orgUnitSubtree', () => ID, { nullable: true }) orgUnitSubtree?: string,
  ) {
    return billingStatistics(ctx, orgUnitSubtree, from, to);
  }
}
