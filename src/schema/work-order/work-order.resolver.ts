import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Alarm, WorkOrder, WorkOrderAssignee, WorkOrderKindSetting, WorkOrderStop } from '../../orm/entities/index.js';
import type { WorkOrderChangedEvent } from '../../shared/events.js';
import { AlarmObject } from '../alarm/index.js';
import {
  type Context,
  loadPermitted,
  NodeResolver,
  PageArgs,
  renewRequestState,
  sessionOpen,
  sharedEventRow,
  subtreePath,
} from '../common/index.js';
import { CustomerType } from '../customer/index.js';
import { MeterBoxType } from '../meter-box/index.js';
import { MeterType } from '../meter/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { UserType } from '../user/index.js';
import { ruleOf } from './two-person-rule.js';
import {
  approveWorkOrder,
  assignWorkOrder,
  bulkAssignWorkOrders,
  closeWorkOrder,
  confirmWorkOrder,
  createWorkOrder,
  listKindSettings,
  listWorkOrders,
  rejectWorkOrder,
  setKindSetting,
  startWorkOrder,
} from './work-order.service.js';
import {
  AssignWorkOrderInput,
  BulkAssignWorkOrdersInput,
  BulkAssignWorkOrdersPayload,
  CloseWorkOrderInput,
  ConfirmWorkOrderInput,
  CreateWorkOrderInput,
  SetWorkOrderKindSettingInput,
  WorkOrderActionInput,
  WorkOrderAssigneeObject,
  WorkOrderChangedFilter,
  WorkOrderChangeObject,
  WorkOrderConnection,
  WorkOrderFilter,
  WorkOrderKindSettingObject,
  WorkOrderKindSettingPayload,
  WorkOrderObject,
  WorkOrderPayload,
  WorkOrderStopObject,
} from './work-order.type.js';

@Resolver(() => WorkOrderObject)
export class WorkOrderResolver extends NodeResolver<WorkOrder>(WorkOrderObject, 'WorkOrder') {
  @Query(() => WorkOrderConnection, {
    description:
      'Work orders (inspections, check readings, meter work, verification, hazards, alarm follow-ups) the caller may see, soonest due first.',
  })
  inspections(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => WorkOrderFilter, { nullable: true }) filter?: WorkOrderFilter,
  ) {
    return listWorkOrders(ctx, filter, page);
  }

  @Query(() => WorkOrderObject)
  workOrder(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, WorkOrder, 'WorkOrder', 'read', id);
  }

  @Query(() => [WorkOrderKindSettingObject], { description: 'Per kind of work order: whether two people are needed.' })
  workOrderKindSettings(@Ctx() ctx: Context) {
    return listKindSettings(ctx);
  }

  @FieldResolver(() => OrgUnitType, { nullable: true, description: 'The unit responsible.' })
  orgUnit(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(order.orgUnit.id);
  }

  @FieldResolver(() => CustomerType, { nullable: true })
  customer(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    return order.customer ? ctx.loaders.customer.load(order.customer.id) : null;
  }

  @FieldResolver(() => MeterBoxType, { nullable: true })
  meterBox(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    return order.meterBox ? ctx.loaders.meterBox.load(order.meterBox.id) : null;
  }

  @FieldResolver(() => MeterType, { nullable: true })
  meter(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    return order.meter ? ctx.loaders.meter.load(order.meter.id) : null;
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  transformerArea(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    return order.transformerArea ? ctx.loaders.orgUnit.load(order.transformerArea.id) : null;
  }

  @FieldResolver(() => AlarmObject, { nullable: true, description: 'The alarm an ALARM_FOLLOW_UP order follows.' })
  async alarm(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    if (!order.alarm) return null;
    const where = ctx.access.where<Alarm>('read', 'Alarm');
    return where === null ? null : ctx.em.findOne(Alarm, { $and: [where, { id: order.alarm.id }] });
  }

  @FieldResolver(() => UserType, { nullable: true })
  createdBy(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(order.createdBy.id);
  }

  @FieldResolver(() => UserType, { nullable: true })
  reviewedBy(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    return order.reviewedBy ? ctx.loaders.user.load(order.reviewedBy.id) : null;
  }

  @FieldResolver(() => UserType, { nullable: true })
  closedBy(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    return order.closedBy ? ctx.loaders.user.load(order.closedBy.id) : null;
  }

  @FieldResolver(() => [WorkOrderAssigneeObject], { description: 'Who does it, and whether each has confirmed.' })
  assignees(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    return ctx.loaders.workOrderAssignees.load(order.id);
  }

  @FieldResolver(() => [WorkOrderStopObject], { description: 'The places to visit, in planned order.' })
  stops(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    return ctx.loaders.workOrderStops.load(order.id);
  }

  @FieldResolver(() => Boolean, { description: 'Whether this kind of work needs two different people now.' })
  async twoPersonRule(@Root() order: WorkOrder, @Ctx() ctx: Context) {
    // One read of the settings per request, however many orders a page shows.
    const key = 'workOrderKindSettings';
    if (!ctx.memo.has(key)) ctx.memo.set(key, ctx.em.find(WorkOrderKindSetting, {}));
    const settings = (await ctx.memo.get(key)) as WorkOrderKindSetting[];
    return ruleOf(settings, order.kind);
  }

  @Mutation(() => WorkOrderPayload, {
    description: 'Plan field work; with assignees (two different people under the two-person rule) it is ASSIGNED.',
  })
  async createWorkOrder(@Ctx() ctx: Context, @Arg('input', () => CreateWorkOrderInput) input: CreateWorkOrderInput) {
    return { workOrder: await createWorkOrder(ctx, input) };
  }

  @Mutation(() => WorkOrderPayload, {
    description: 'Give the order to a new set of people (the two-person rule applies); confirmations start over.',
  })
  async assignWorkOrder(@Ctx() ctx: Context, @Arg('input', () => AssignWorkOrderInput) input: AssignWorkOrderInput) {
    return { workOrder: await assignWorkOrder(ctx, input) };
  }

  @Mutation(() => BulkAssignWorkOrdersPayload, {
    description: 'The same people on many orders, all or nothing, each under its kind’s two-person rule.',
  })
  async bulkAssignWorkOrders(
    @Ctx() ctx: Context,
    @Arg('input', () => BulkAssignWorkOrdersInput) input: BulkAssignWorkOrdersInput,
  ) {
    return { workOrders: await bulkAssignWorkOrders(ctx, input) };
  }

  @Mutation(() => WorkOrderPayload, { description: 'An assignee starts the work (or resumes it after a rejection).' })
  async startWorkOrder(@Ctx() ctx: Context, @Arg('input', () => WorkOrderActionInput) input: WorkOrderActionInput) {
    return { workOrder: await startWorkOrder(ctx, input) };
  }

  @Mutation(() => WorkOrderPayload, {
    description:
      'An assignee confirms the work; when every assignee (two at least, under the rule) has, it is SUBMITTED.',
  })
  async confirmWorkOrder(@Ctx() ctx: Context, @Arg('input', () => ConfirmWorkOrderInput) input: ConfirmWorkOrderInput) {
    return { workOrder: await confirmWorkOrder(ctx, input) };
  }

  @Mutation(() => WorkOrderPayload, { description: 'SUBMITTED -> APPROVED, by a manager who did not do the work.' })
  async approveWorkOrder(@Ctx() ctx: Context, @Arg('input', () => WorkOrderActionInput) input: WorkOrderActionInput) {
    return { workOrder: await approveWorkOrder(ctx, input) };
  }

  @Mutation(() => WorkOrderPayload, { description: 'SUBMITTED -> REJECTED with a note; the assignees rework it.' })
  async rejectWorkOrder(@Ctx() ctx: Context, @Arg('input', () => WorkOrderActionInput) input: WorkOrderActionInput) {
    return { workOrder: await rejectWorkOrder(ctx, input) };
  }

  @Mutation(() => WorkOrderPayload, {
    description: 'APPROVED -> CLOSED; an order never approved is closed as cancelled, with a reason.',
  })
  async closeWorkOrder(@Ctx() ctx: Context, @Arg('input', () => CloseWorkOrderInput) input: CloseWorkOrderInput) {
    return { workOrder: await closeWorkOrder(ctx, input) };
  }

  @Mutation(() => WorkOrderKindSettingPayload, {
    description: 'Admins: turn the two-person rule on or off for a kind.',
  })
  async setWorkOrderKindSetting(
    @Ctx() ctx: Context,
    @Arg('input', () => SetWorkOrderKindSettingInput) input: SetWorkOrderKindSettingInput,
  ) {
    return { setting: await setKindSetting(ctx, input) };
  }

  @Subscription(() => WorkOrderChangeObject, {
    topics: 'WORK_ORDER_CHANGED',
    description:
      'Work orders assigned to the subscriber (or taken from them) as they change; managers also hear of the orders they may update.',
    filter: async ({
      payload,
      args,
      context,
    }: {
      payload: WorkOrderChangedEvent;
      args: { filter?: WorkOrderChangedFilter };
      context: Context;
    }) => {
      if (!(await sessionOpen(context))) return false;
      const me = context.access.user?.id;
      const facts = { orgPath: payload.orgPath };
      if (!context.access.allowsEvent('read', 'WorkOrder', facts)) return false;
      const concerned =
        (me !== undefined && payload.assigneeIds.includes(me)) ||
        context.access.allowsEvent('update', 'WorkOrder', facts);
      if (!concerned) return false;
      if (args.filter?.orgUnitSubtree) {
        const root = await subtreePath(context, args.filter.orgUnitSubtree, ['filter', 'orgUnitSubtree']);
        if (!root || !payload.orgPath.startsWith(root)) return false;
      }
      return true;
    },
  })
  async workOrderChanged(
    @Root() payload: WorkOrderChangedEvent,
    @Ctx() ctx: Context,
    @Arg('filter', () => WorkOrderChangedFilter, { nullable: true }) _filter?: WorkOrderChangedFilter,
  ) {
    renewRequestState(ctx);
    const workOrder = await sharedEventRow(
      `WorkOrder:${payload.workOrderId}:${payload.change}`,
      (em) => em.findOneOrFail(WorkOrder, { id: payload.workOrderId }),
      ctx.em,
    );
    return { change: payload.change, workOrder };
  }
}

@Resolver(() => WorkOrderAssigneeObject)
export class WorkOrderAssigneeResolver {
  @FieldResolver(() => UserType, { nullable: true })
  user(@Root() assignee: WorkOrderAssignee, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(assignee.user.id);
  }
}

@Resolver(() => WorkOrderStopObject)
export class WorkOrderStopResolver extends NodeResolver<WorkOrderStop>(WorkOrderStopObject, 'WorkOrderStop') {
  @FieldResolver(() => MeterType, { nullable: true })
  meter(@Root() stop: WorkOrderStop, @Ctx() ctx: Context) {
    return stop.meter ? ctx.loaders.meter.load(stop.meter.id) : null;
  }

  @FieldResolver(() => MeterBoxType, { nullable: true })
  meterBox(@Root() stop: WorkOrderStop, @Ctx() ctx: Context) {
    return stop.meterBox ? ctx.loaders.meterBox.load(stop.meterBox.id) : null;
  }

  @FieldResolver(() => CustomerType, { nullable: true })
  customer(@Root() stop: WorkOrderStop, @Ctx() ctx: Context) {
    return stop.customer ? ctx.loaders.customer.load(stop.customer.id) : null;
  }

  @FieldResolver(() => UserType, { nullable: true })
  visitedBy(@Root() stop: WorkOrderStop, @Ctx() ctx: Context) {
    return stop.visitedBy ? ctx.loaders.user.load(stop.visitedBy.id) : null;
  }
}
