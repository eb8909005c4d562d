import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { FieldPhoto, HazardReport, WorkOrder, WorkOrderStop } from '../../orm/entities/index.js';
import { toGlobalId } from '../../shared/global-id.js';
import { type Context, LocalDateScalar, NodeResolver, PageArgs } from '../common/index.js';
import { HazardReportObject } from '../hazard/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { UserType } from '../user/index.js';
import { workOrderLoaders, WorkOrderObject, WorkOrderStopObject } from '../work-order/index.js';
import { fieldLoaders, photosOf } from './field-loaders.js';
import {
  BarcodeScanObject,
  FieldPhotoObject,
  FieldStatisticsObject,
  GeoPointInput,
  RecordPositionInput,
  RecordPositionPayload,
  StaffPositionConnection,
  TodayRouteObject,
} from './field.type.js';
import { recordPosition, staffPositions } from './position.service.js';
import { scanBarcode } from './scan.service.js';
import { fieldStatistics } from './statistics.service.js';
import { todayStops } from './today-stops.service.js';

/** Where a photo's bytes are downloaded from (with the same Bearer token as the API). */
export const photoUrl = (globalId: string) => `/field/photos/${globalId}`;

@Resolver()
export class FieldApiResolver {
  @Query(() => BarcodeScanObject, {
    description:
      'Field apps: what a scanned meter barcode or asset number, or meter box barcode, leads to. NOT_FOUND when nothing visible has that code.',
  })
  scanBarcode(@Ctx() ctx: Context, @Arg('code') code: string) {
    return scanBarcode(ctx, code);
  }

  @Query(() => TodayRouteObject, {
    description:
      "The caller's pending stops due today or overdue, in visiting order from `from` (nearest neighbour, then 2-opt).",
  })
  todayStops(@Ctx() ctx: Context, @Arg('from', () => GeoPointInput) from: GeoPointInput) {
    return todayStops(ctx, from);
  }

  @Query(() => FieldStatisticsObject, { description: "The caller's own field work on a local day (default today)." })
  fieldStatistics(@Ctx() ctx: Context, @Arg('date', () => LocalDateScalar, { nullable: true }) date?: string) {
    return fieldStatistics(ctx, date ?? undefined);
  }

  @Query(() => StaffPositionConnection, {
    description: 'Managers: each field worker the caller may see, with the latest position they sent.',
  })
  staffPositions(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('orgUnitSubtree', () => ID, { nullable: true, description: 'Staff of this unit or any unit below it.' })
    orgUnitSubtree?: string,
  ) {
    return staffPositions(ctx, orgUnitSubtree ?? undefined, page);
  }

  @Mutation(() => RecordPositionPayload, { description: "Records the caller's position (their phone's GPS fix)." })
  async recordPosition(@Ctx() ctx: Context, @Arg('input', () => RecordPositionInput) input: RecordPositionInput) {
    return { position: await recordPosition(ctx, input) };
  }
}

@Resolver(() => FieldPhotoObject)
export class FieldPhotoResolver extends NodeResolver<FieldPhoto>(FieldPhotoObject, 'FieldPhoto') {
  @FieldResolver(() => String, { description: 'GET it with the same Bearer token as the API.' })
  url(@Root() photo: FieldPhoto): string {
    return photoUrl(toGlobalId('FieldPhoto', photo.id));
  }

  @FieldResolver(() => UserType, { nullable: true })
  uploadedBy(@Root() photo: FieldPhoto, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(photo.uploadedBy.id);
  }

  @FieldResolver(() => OrgUnitType, { nullable: true, description: 'The unit it belongs to.' })
  orgUnit(@Root() photo: FieldPhoto, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(photo.orgUnit.id);
  }

  @FieldResolver(() => WorkOrderObject, { nullable: true })
  workOrder(@Root() photo: FieldPhoto, @Ctx() ctx: Context) {
    return photo.workOrder ? workOrderLoaders(ctx).workOrder.load(photo.workOrder.id) : null;
  }

  @FieldResolver(() => WorkOrderStopObject, { nullable: true })
  stop(@Root() photo: FieldPhoto, @Ctx() ctx: Context) {
    return photo.stop ? workOrderLoaders(ctx).stop.load(photo.stop.id) : null;
  }

  @FieldResolver(() => HazardReportObject, { nullable: true })
  hazardReport(@Root() photo: FieldPhoto, @Ctx() ctx: Context) {
    return photo.hazardReport ? fieldLoaders(ctx).hazardReport.load(photo.hazardReport.id) : null;
  }
}

/** A work order's photo evidence: the field module adds it to WorkOrder. */
@Resolver(() => WorkOrderObject)
export class WorkOrderPhotosResolver {
  @FieldResolver(() => [FieldPhotoObject], { description: 'Photo evidence of the order and its stops, oldest first.' })
  photos(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    return photosOf(ctx, { workOrderId: order.id });
  }
}

/** A stop's photo evidence: the field module adds it to WorkOrderStop. */
@Resolver(() => WorkOrderStopObject)
export class WorkOrderStopPhotosResolver {
  @FieldResolver(() => [FieldPhotoObject], { description: 'Photo evidence taken at this stop.' })
  photos(@Root() stop: WorkOrderStop, @Ctx() ctx: Context) {
    return photosOf(ctx, { stopId: stop.id });
  }
}

/** A hazard report's photos: the field module adds them to HazardReport. */
@Resolver(() => HazardReportObject)
export class HazardReportPhotosResolver {
  @FieldResolver(() => [FieldPhotoObject], { description: 'Its photos the caller may see, oldest first.' })
  photos(@Root() report: HazardReport, @Ctx() ctx: Context) {
    return photosOf(ctx, { hazardReportId: report.id });
  }
}
