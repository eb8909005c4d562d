import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ReadingRoute } from '../../orm/entities/index.js';
import { type Context, loadPermitted, NodeResolver, PageArgs } from '../common/index.js';
import { MeterBoxType } from '../meter-box/index.js';
import { MeterConnection } from '../meter/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { recordStopReading, skipStop } from './field-reading.service.js';
import {
  CreateReadingRouteInput,
  GenerateReadingRoutesInput,
  GenerateReadingRoutesPayload,
  MetersDueForVerificationFilter,
  PlanVerificationWorkOrdersInput,
  PlanVerificationWorkOrdersPayload,
  ReadingRoundPayload,
  ReadingRouteBoxType,
  ReadingRouteConnection,
  ReadingRouteFilter,
  ReadingRoutePayload,
  ReadingRouteType,
  RecordStopReadingInput,
  SkipStopInput,
  StartReadingRoundInput,
  StopPayload,
  StopReadingPayload,
  UpdateReadingRouteInput,
} from './reading-round.type.js';
import { startReadingRound } from './reading-round.service.js';
import {
  createReadingRoute,
  generateReadingRoutes,
  listReadingRoutes,
  updateReadingRoute,
} from './reading-route.service.js';
import { routeLoaders } from './route-loaders.js';
import { listMetersDueForVerification, planVerificationWorkOrders } from './verification.service.js';

@Resolver(() => ReadingRouteType)
export class ReadingRouteResolver extends NodeResolver<ReadingRoute>(ReadingRouteType, 'ReadingRoute') {
  @Query(() => ReadingRouteConnection, { description: 'Reading routes, by reading day.' })
  readingRoutes(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => ReadingRouteFilter, { nullable: true }) filter?: ReadingRouteFilter,
  ) {
    return listReadingRoutes(ctx, filter, page);
  }

  @Query(() => ReadingRouteType)
  readingRoute(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, ReadingRoute, 'ReadingRoute', 'read', id);
  }

  @FieldResolver(() => OrgUnitType, { nullable: true, description: 'The supply station.' })
  orgUnit(@Root() route: ReadingRoute, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(route.orgUnit.id);
  }

  @FieldResolver(() => [ReadingRouteBoxType], { description: 'The meter boxes in walking order.' })
  boxes(@Root() route: ReadingRoute, @Ctx() ctx: Context) {
    return routeLoaders(ctx).boxes.load(route.id);
  }

  @FieldResolver(() => Int)
  async boxCount(@Root() route: ReadingRoute, @Ctx() ctx: Context) {
    return (await routeLoaders(ctx).boxes.load(route.id)).length;
  }

  @FieldResolver(() => Int, { description: "Installed meters of the station on the route's boxes." })
  async meterCount(@Root() route: ReadingRoute, @Ctx() ctx: Context) {
    return (await routeLoaders(ctx).boxes.load(route.id)).reduce((n, b) => n + b.meterCount, 0);
  }

  @Mutation(() => GenerateReadingRoutesPayload, {
    description:
      "Builds or refreshes a station's routes from its customers: one per billing day and reading window, nearest box next.",
  })
  generateReadingRoutes(
    @Ctx() ctx: Context,
    @Arg('input', () => GenerateReadingRoutesInput) input: GenerateReadingRoutesInput,
  ) {
    return generateReadingRoutes(ctx, input.orgUnitId);
  }

  @Mutation(() => ReadingRoutePayload)
  async createReadingRoute(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateReadingRouteInput) input: CreateReadingRouteInput,
  ) {
    return { readingRoute: await createReadingRoute(ctx, input) };
  }

  @Mutation(() => ReadingRoutePayload, {
    description: 'Changes a route; a generated route changed by hand is no longer rebuilt by generateReadingRoutes.',
  })
  async updateReadingRoute(
    @Ctx() ctx: Context,
    @Arg('input', () => UpdateReadingRouteInput) input: UpdateReadingRouteInput,
  ) {
    return { readingRoute: await updateReadingRoute(ctx, input) };
  }
}

@Resolver(() => ReadingRouteBoxType)
export class ReadingRouteBoxResolver {
  @FieldResolver(() => MeterBoxType, { nullable: true })
  meterBox(@Root() box: ReadingRouteBoxType, @Ctx() ctx: Context) {
    return ctx.loaders.meterBox.load(box.meterBoxId);
  }
}

@Resolver()
export class ReadingRoundResolver {
  @Mutation(() => ReadingRoundPayload, {
    description:
      'A check-reading round of a route: a PERIODIC_CHECK_READING work order with a stop per installed meter, assigned under the two-person rule.',
  })
  startReadingRound(@Ctx() ctx: Context, @Arg('input', () => StartReadingRoundInput) input: StartReadingRoundInput) {
    return startReadingRound(ctx, input);
  }

  @Mutation(() => StopReadingPayload, {
    description:
      "An assignee's reading at a stop: stored as a MANUAL reading through the checks of collected values, compared with the automatic value.",
  })
  recordStopReading(@Ctx() ctx: Context, @Arg('input', () => RecordStopReadingInput) input: RecordStopReadingInput) {
    return recordStopReading(ctx, input);
  }

  @Mutation(() => StopPayload, { description: 'An assignee marks a stop not read, with the reason.' })
  skipStop(@Ctx() ctx: Context, @Arg('input', () => SkipStopInput) input: SkipStopInput) {
    return skipStop(ctx, input);
  }

  @Query(() => MeterConnection, {
    description: 'Installed meters whose periodic verification is due within some days (local days), earliest first.',
  })
  metersDueForVerification(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => MetersDueForVerificationFilter, { nullable: true }) filter?: MetersDueForVerificationFilter,
  ) {
    return listMetersDueForVerification(ctx, filter, page);
  }

  @Mutation(() => PlanVerificationWorkOrdersPayload, {
    description:
      'One PERIODIC_VERIFICATION work order per meter box for the due meters not yet in one; running it again plans nothing new.',
  })
  planVerificationWorkOrders(
    @Ctx() ctx: Context,
    @Arg('input', () => PlanVerificationWorkOrdersInput) input: PlanVerificationWorkOrdersInput,
  ) {
    return planVerificationWorkOrders(ctx, input);
  }
}
