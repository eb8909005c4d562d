import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { OrgUnit } from '../../orm/entities/index.js';
import { OrgUnitKind } from '../../orm/entities/index.js';
import { type Context, PageArgs } from '../common/index.js';
import { CustomerType } from '../customer/index.js';
import { MeterType } from '../meter/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { bandOf, listLineLoss, setLineLossBand, totalsOf, type AreaLineLossResult } from './line-loss.service.js';
import {
  LineLossBandType,
  LineLossConnection,
  LineLossExclusionType,
  LineLossFilter,
  LineLossGranularity,
  LineLossSuspectType,
  LineLossTotalsType,
  SetLineLossBandInput,
  SetLineLossBandPayload,
} from './line-loss.type.js';

@Resolver(() => LineLossConnection)
export class LineLossResolver {
  @Query(() => LineLossConnection, {
    description:
      "Line loss (purchased vs sold energy) of the transformer areas the caller may read, with their readings, under a subtree: each area's supply meter against its customers' meters, from the register values frozen at the same local midnights of the area's time zone.",
  })
  lineLoss(
    @Ctx() ctx: Context,
    @Arg('filter', () => LineLossFilter) filter: LineLossFilter,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('granularity', () => LineLossGranularity, { defaultValue: LineLossGranularity.PERIOD })
    granularity: LineLossGranularity,
  ) {
    return listLineLoss(ctx, filter, granularity, page);
  }

  @FieldResolver(() => LineLossTotalsType, { description: 'Sums over the areas of this page.' })
  totals(@Root() connection: { nodes: AreaLineLossResult[] }) {
    return totalsOf(connection.nodes);
  }

  @Mutation(() => SetLineLossBandPayload, {
    description:
      "Sets a transformer area's qualification band of its loss rate (percent); without min and max, the area returns to the default band.",
  })
  setLineLossBand(@Ctx() ctx: Context, @Arg('input', () => SetLineLossBandInput) input: SetLineLossBandInput) {
    return setLineLossBand(ctx, input);
  }
}

/** The meter and customer of an excluded or suspect meter, as far as the caller may read them. */
@Resolver(() => LineLossExclusionType)
export class LineLossExclusionResolver {
  @FieldResolver(() => MeterType, { nullable: true })
  meter(@Root() row: LineLossExclusionType, @Ctx() ctx: Context) {
    return ctx.loaders.meter.load(row.meterLocalId);
  }

  @FieldResolver(() => CustomerType, { nullable: true })
  customer(@Root() row: LineLossExclusionType, @Ctx() ctx: Context) {
    return row.customerLocalId === undefined ? null : ctx.loaders.customer.load(row.customerLocalId);
  }
}

@Resolver(() => LineLossSuspectType)
export class LineLossSuspectResolver {
  @FieldResolver(() => MeterType, { nullable: true })
  meter(@Root() row: LineLossSuspectType, @Ctx() ctx: Context) {
    return ctx.loaders.meter.load(row.meterLocalId);
  }

  @FieldResolver(() => CustomerType, { nullable: true })
  customer(@Root() row: LineLossSuspectType, @Ctx() ctx: Context) {
    return row.customerLocalId === undefined ? null : ctx.loaders.customer.load(row.customerLocalId);
  }
}

@Resolver(() => OrgUnitType)
export class OrgUnitLineLossBandResolver {
  @FieldResolver(() => LineLossBandType, {
    nullable: true,
    description: "A transformer area's qualification band of its line loss rate; null for other units.",
  })
  lineLossBand(@Root() unit: OrgUnit) {
    return unit.kind === OrgUnitKind.TRANSFORMER_AREA ? bandOf(unit) : null;
  }
}
