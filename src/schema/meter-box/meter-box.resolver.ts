import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { MeterBox } from '../../orm/entities/index.js';
import { type Context, loadPermitted, NodeResolver, PageArgs } from '../common/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import {
  CreateMeterBoxInput,
  MeterBoxConnection,
  MeterBoxFilter,
  MeterBoxOrder,
  MeterBoxPayload,
  MeterBoxType,
  UpdateMeterBoxInput,
} from './meter-box.type.js';
import { createMeterBox, listMeterBoxes, meterBoxByBarcode, updateMeterBox } from './meter-box.service.js';

@Resolver(() => MeterBoxType)
export class MeterBoxResolver extends NodeResolver<MeterBox>(MeterBoxType, 'MeterBox') {
  @Query(() => MeterBoxConnection)
  meterBoxes(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => MeterBoxFilter, { nullable: true }) filter?: MeterBoxFilter,
    @Arg('orderBy', () => MeterBoxOrder, { nullable: true }) orderBy?: MeterBoxOrder,
  ) {
    return listMeterBoxes(ctx, filter, orderBy, page);
  }

  @Query(() => MeterBoxType)
  meterBox(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, MeterBox, 'MeterBox', 'read', id);
  }

  @Query(() => MeterBoxType, {
    nullable: true,
    description: 'Field apps: the meter box with this barcode, if visible.',
  })
  meterBoxByBarcode(@Ctx() ctx: Context, @Arg('barcode') barcode: string) {
    return meterBoxByBarcode(ctx, barcode);
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  orgUnit(@Root() box: MeterBox, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(box.orgUnit.id);
  }

  @Mutation(() => MeterBoxPayload)
  async createMeterBox(@Ctx() ctx: Context, @Arg('input', () => CreateMeterBoxInput) input: CreateMeterBoxInput) {
    return { meterBox: await createMeterBox(ctx, input) };
  }

  @Mutation(() => MeterBoxPayload)
  async updateMeterBox(@Ctx() ctx: Context, @Arg('input', () => UpdateMeterBoxInput) input: UpdateMeterBoxInput) {
    return { meterBox: await updateMeterBox(ctx, input) };
  }
}
