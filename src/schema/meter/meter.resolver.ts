import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Meter, type MeterBox, type OrgUnit } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import {
  connectionOf,
  type Context,
  DecimalScalar,
  FirstArgs,
  loadPermitted,
  NodeResolver,
  PageArgs,
  pageSize,
} from '../common/index.js';
import { MeterBoxType } from '../meter-box/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import {
  CreateMeterInput,
  MeterConnection,
  MeterFilter,
  MeterOrder,
  MeterPayload,
  MeterType,
  ScrapMeterInput,
  UpdateMeterInput,
} from './meter.type.js';
import { createMeter, listMeters, meterByBarcode, scrapMeter, updateMeter } from './meter.service.js';

@Resolver(() => MeterType)
export class MeterResolver extends NodeResolver<Meter>(MeterType, 'Meter') {
  @Query(() => MeterConnection)
  meters(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => MeterFilter, { nullable: true }) filter?: MeterFilter,
    @Arg('orderBy', () => MeterOrder, { nullable: true }) orderBy?: MeterOrder,
  ) {
    return listMeters(ctx, filter, orderBy, page);
  }

  @Query(() => MeterType)
  meter(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, Meter, 'Meter', 'read', id);
  }

  @Query(() => MeterType, { nullable: true, description: 'Field apps: the meter with this barcode, if visible.' })
  meterByBarcode(@Ctx() ctx: Context, @Arg('barcode') barcode: string) {
    return meterByBarcode(ctx, barcode);
  }

  @FieldResolver(() => DecimalScalar, {
    description: 'CT ratio x PT ratio: consumption = register delta x multiplier.',
  })
  multiplier(@Root() meter: Meter): string {
    return new Dec(meter.ctRatio).times(meter.ptRatio).toFixed();
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  orgUnit(@Root() meter: Meter, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(meter.orgUnit.id);
  }

  @FieldResolver(() => MeterBoxType, { nullable: true })
  meterBox(@Root() meter: Meter, @Ctx() ctx: Context) {
    return meter.meterBox ? ctx.loaders.meterBox.load(meter.meterBox.id) : null;
  }

  @Mutation(() => MeterPayload, { description: 'Register a new meter in stock.' })
  async createMeter(@Ctx() ctx: Context, @Arg('input', () => CreateMeterInput) input: CreateMeterInput) {
    return { meter: await createMeter(ctx, input) };
  }

  @Mutation(() => MeterPayload)
  async updateMeter(@Ctx() ctx: Context, @Arg('input', () => UpdateMeterInput) input: UpdateMeterInput) {
    return { meter: await updateMeter(ctx, input) };
  }

  @Mutation(() => MeterPayload, { description: 'End of life for a removed or stocked meter.' })
  async scrapMeter(@Ctx() ctx: Context, @Arg('input', () => ScrapMeterInput) input: ScrapMeterInput) {
    return { meter: await scrapMeter(ctx, input) };
  }
}

/** A unit's meters and a transformer area's supply meter: the meter module adds them to OrgUnit. */
@Resolver(() => OrgUnitType)
export class OrgUnitMetersResolver {
  @FieldResolver(() => MeterConnection, { description: 'Meters owned by this unit (not its subtree).' })
  async meters(@Root() unit: OrgUnit, @Ctx() ctx: Context, @Args(() => FirstArgs) page: FirstArgs) {
    const first = pageSize(page.first, ctx.config.maxPageSize);
    const rows = await ctx.loaders.orgUnitMeters.load({ parentId: unit.id, first });
    return connectionOf(rows, first, () => ctx.loaders.orgUnitMeterCount.load(unit.id));
  }

  @FieldResolver(() => MeterType, { nullable: true, description: "A transformer area's supply (total) meter." })
  supplyMeter(@Root() unit: OrgUnit, @Ctx() ctx: Context) {
    return unit.supplyMeter ? ctx.loaders.meter.load(unit.supplyMeter.id) : null;
  }
}

/** A box's meters: the meter module adds them to MeterBox. */
@Resolver(() => MeterBoxType)
export class MeterBoxMetersResolver {
  @FieldResolver(() => MeterConnection)
  async meters(@Root() box: MeterBox, @Ctx() ctx: Context, @Args(() => FirstArgs) page: FirstArgs) {
    const first = pageSize(page.first, ctx.config.maxPageSize);
    const rows = await ctx.loaders.meterBoxMeters.load({ parentId: box.id, first });
    return connectionOf(rows, first, () => ctx.loaders.meterBoxMeterCount.load(box.id));
  }
}
