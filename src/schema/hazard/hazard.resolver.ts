import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { HazardReport } from '../../orm/entities/index.js';
import { type Context, loadPermitted, NodeResolver, PageArgs } from '../common/index.js';
import { CustomerType } from '../customer/index.js';
import { MeterBoxType } from '../meter-box/index.js';
import { MeterType } from '../meter/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { UserType } from '../user/index.js';
import { workOrderLoaders, WorkOrderObject } from '../work-order/index.js';
import {
  DismissHazardInput,
  HazardReportConnection,
  HazardReportFilter,
  HazardReportObject,
  HazardReportPayload,
  ReportHazardInput,
  VerifyHazardInput,
} from './hazard.type.js';
import { dismissHazard, listHazardReports, reportHazard, verifyHazard } from './hazard.service.js';

@Resolver(() => HazardReportObject)
export class HazardReportResolver extends NodeResolver<HazardReport>(HazardReportObject, 'HazardReport') {
  @Query(() => HazardReportConnection, { description: 'Hazard reports the caller may see, newest first.' })
  hazardReports(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => HazardReportFilter, { nullable: true }) filter?: HazardReportFilter,
  ) {
    return listHazardReports(ctx, filter, page);
  }

  @Query(() => HazardReportObject)
  hazardReport(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, HazardReport, 'HazardReport', 'read', id);
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'Who found it.' })
  reporter(@Root() report: HazardReport, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(report.reportedBy.id);
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'Who verified or dismissed it.' })
  verifier(@Root() report: HazardReport, @Ctx() ctx: Context) {
    return report.verifiedBy ? ctx.loaders.user.load(report.verifiedBy.id) : null;
  }

  @FieldResolver(() => OrgUnitType, { nullable: true, description: 'The unit it belongs to.' })
  orgUnit(@Root() report: HazardReport, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(report.orgUnit.id);
  }

  @FieldResolver(() => MeterBoxType, { nullable: true })
  meterBox(@Root() report: HazardReport, @Ctx() ctx: Context) {
    return report.meterBox ? ctx.loaders.meterBox.load(report.meterBox.id) : null;
  }

  @FieldResolver(() => MeterType, { nullable: true })
  meter(@Root() report: HazardReport, @Ctx() ctx: Context) {
    return report.meter ? ctx.loaders.meter.load(report.meter.id) : null;
  }

  @FieldResolver(() => CustomerType, { nullable: true })
  customer(@Root() report: HazardReport, @Ctx() ctx: Context) {
    return report.customer ? ctx.loaders.customer.load(report.customer.id) : null;
  }

  @FieldResolver(() => WorkOrderObject, {
    nullable: true,
    description: 'The HAZARD_RECTIFICATION work order sent to fix it, when there is one.',
  })
  rectification(@Root() report: HazardReport, @Ctx() ctx: Context) {
    return report.rectification ? workOrderLoaders(ctx).workOrder.load(report.rectification.id) : null;
  }

  @Mutation(() => HazardReportPayload, {
    description: 'Report a hazard found in the field (link photos uploaded beforehand with photoIds).',
  })
  async reportHazard(@Ctx() ctx: Context, @Arg('input', () => ReportHazardInput) input: ReportHazardInput) {
    return { hazardReport: await reportHazard(ctx, input) };
  }

  @Mutation(() => HazardReportPayload, {
    description: "REPORTED -> VERIFIED: the reporter earns the points (the category's default unless given).",
  })
  async verifyHazard(@Ctx() ctx: Context, @Arg('input', () => VerifyHazardInput) input: VerifyHazardInput) {
    return { hazardReport: await verifyHazard(ctx, input) };
  }

  @Mutation(() => HazardReportPayload, { description: 'REPORTED -> DISMISSED, with the reason; no points.' })
  async dismissHazard(@Ctx() ctx: Context, @Arg('input', () => DismissHazardInput) input: DismissHazardInput) {
    return { hazardReport: await dismissHazard(ctx, input) };
  }
}
