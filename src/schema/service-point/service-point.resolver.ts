import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { type Customer, type Meter, MeterAssignment, ServicePoint } from '../../orm/entities/index.js';
import { connectionOf, type Context, FirstArgs, loadPermitted, NodeResolver, pageSize } from '../common/index.js';
import { CustomerType } from '../customer/index.js';
import { MeterBoxType } from '../meter-box/index.js';
import { MeterType } from '../meter/index.js';
import {
  CreateServicePointInput,
  ExchangeMeterInput,
  InstallMeterInput,
  MeterAssignmentType,
  MeterExchangePayload,
  MeterInstallationPayload,
  RemoveMeterInput,
  ServicePointConnection,
  ServicePointPayload,
  ServicePointType,
} from './service-point.type.js';
import { createServicePoint, exchangeMeter, installMeter, removeMeter } from './service-point.service.js';

@Resolver(() => ServicePointType)
export class ServicePointResolver extends NodeResolver<ServicePoint>(ServicePointType, 'ServicePoint') {
  @Query(() => ServicePointType)
  servicePoint(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, ServicePoint, 'ServicePoint', 'read', id);
  }

  @FieldResolver(() => CustomerType, { nullable: true })
  customer(@Root() point: ServicePoint, @Ctx() ctx: Context) {
    return ctx.loaders.customer.load(point.customer.id);
  }

  @FieldResolver(() => MeterBoxType, { nullable: true })
  meterBox(@Root() point: ServicePoint, @Ctx() ctx: Context) {
    return point.meterBox ? ctx.loaders.meterBox.load(point.meterBox.id) : null;
  }

  @FieldResolver(() => [MeterAssignmentType], { description: 'Every meter this point has had, oldest first.' })
  meterHistory(@Root() point: ServicePoint, @Ctx() ctx: Context) {
    return ctx.loaders.assignmentsByServicePoint.load(point.id);
  }

  @Mutation(() => ServicePointPayload)
  async createServicePoint(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateServicePointInput) input: CreateServicePointInput,
  ) {
    return { servicePoint: await createServicePoint(ctx, input) };
  }

  @Mutation(() => MeterInstallationPayload, { description: 'Put an IN_STOCK meter on a service point (装表).' })
  installMeter(@Ctx() ctx: Context, @Arg('input', () => InstallMeterInput) input: InstallMeterInput) {
    return installMeter(ctx, input);
  }

  @Mutation(() => MeterInstallationPayload, { description: 'Take an installed meter off its service point (拆表).' })
  removeMeter(@Ctx() ctx: Context, @Arg('input', () => RemoveMeterInput) input: RemoveMeterInput) {
    return removeMeter(ctx, input);
  }

  @Mutation(() => MeterExchangePayload, {
    description: 'Replace the meter on a service point (换表), keeping both readings.',
  })
  exchangeMeter(@Ctx() ctx: Context, @Arg('input', () => ExchangeMeterInput) input: ExchangeMeterInput) {
    return exchangeMeter(ctx, input);
  }
}

@Resolver(() => MeterAssignmentType)
export class MeterAssignmentResolver {
  @FieldResolver(() => MeterType, { nullable: true })
  meter(@Root() assignment: MeterAssignment, @Ctx() ctx: Context) {
    return ctx.loaders.meter.load(assignment.meter.id);
  }

  @FieldResolver(() => ServicePointType, { nullable: true })
  servicePoint(@Root() assignment: MeterAssignment, @Ctx() ctx: Context) {
    return ctx.loaders.servicePoint.load(assignment.servicePoint.id);
  }
}

/** What a meter measures now: the service-point module adds it to Meter. */
@Resolver(() => MeterType)
export class MeterServicePointResolver {
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
}

/** A customer's service points: the service-point module adds them to Customer. */
@Resolver(() => CustomerType)
export class CustomerServicePointsResolver {
  @FieldResolver(() => ServicePointConnection)
  async servicePoints(@Root() customer: Customer, @Ctx() ctx: Context, @Args(() => FirstArgs) page: FirstArgs) {
    const first = pageSize(page.first, ctx.config.maxPageSize);
    const rows = await ctx.loaders.customerServicePoints.load({ parentId: customer.id, first });
    return connectionOf(rows, first, () => ctx.loaders.customerServicePointCount.load(customer.id));
  }
}
