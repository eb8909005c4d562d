import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Meter, RegisterCode } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { PageArgs } from '../common/connection.js';
import type { Context } from '../common/context.js';
import { NodeResolver } from '../common/node.js';
import { loadPermitted } from '../common/load-permitted.js';
import { DecimalScalar } from '../common/scalars.js';
import { CustomerType } from '../customer/customer.type.js';
import { MeterBoxType } from '../meter-box/meter-box.type.js';
import { OrgUnitType } from '../org-unit/org-unit.type.js';
import { ReadingType } from '../reading/reading.type.js';
import { MeterAssignmentType, ServicePointType } from '../service-point/service-point.type.js';
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

  @FieldResolver(() => ServicePointType, { nullable: true, description: 'The service point the meter measures now.' })
  async servicePoint(@Root() meter: Meter, @Ctx() ctx: Context) {
    const open = await ctx.loaders.openAssignmentByMeter.load(meter.id);
    return open ? ctx.loaders.servicePoint.load(open.servicePoint.id) : null;
  }

  @FieldResolver(() => CustomerType, { nullable: true, description: 'The customer the meter measures now.' })
  async customer(@Root() meter: Meter, @Ctx() ctx: Context) {
    const point = await this.servicePoint(meter, ctx);
    return point ? ctx.loaders.customer.load(point.customer.id) : null;
  }

  @FieldResolver(() => MeterAssignmentType, { nullable: true })
  currentAssignment(@Root() meter: Meter, @Ctx() ctx: Context) {
    return ctx.loaders.openAssignmentByMeter.load(meter.id);
  }

  @FieldResolver(() => ReadingType, { nullable: true, description: 'The newest reading of a register.' })
  latestReading(
    @Root() meter: Meter,
    @Ctx() ctx: Context,
    @Arg('register', () => RegisterCode, { defaultValue: RegisterCode.FORWARD_ACTIVE_TOTAL }) register: RegisterCode,
  ) {
    return ctx.loaders.latestReading.load({ meterId: meter.id, register });
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
