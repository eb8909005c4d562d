import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Channel, CollectionRetry, CollectionSchedule, CollectionTask } from '../../orm/entities/index.js';
import { type Context, loadPermitted, NodeResolver, PageArgs } from '../common/index.js';
import { MeterType } from '../meter/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { UserType } from '../user/index.js';
import { ChannelType } from './channel.type.js';
import {
  CollectionRetryConnection,
  CollectionRetryType,
  CollectionScheduleConnection,
  CollectionSchedulePayload,
  CollectionScheduleType,
  CollectionTaskConnection,
  CollectionTaskFilter,
  CollectionTaskType,
  CreateCollectionScheduleInput,
  UpdateCollectionScheduleInput,
} from './schedule.type.js';
import {
  createSchedule,
  deleteSchedule,
  listRetries,
  listSchedules,
  listTasks,
  updateSchedule,
} from './schedule.service.js';

@Resolver(() => CollectionScheduleType)
export class CollectionScheduleResolver extends NodeResolver<CollectionSchedule>(
  CollectionScheduleType,
  'CollectionSchedule',
) {
  @Query(() => CollectionScheduleConnection, { description: 'Collection schedules the caller may see.' })
  collectionSchedules(@Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    return listSchedules(ctx, page);
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  orgUnit(@Root() schedule: CollectionSchedule, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(schedule.orgUnit.id);
  }

  @FieldResolver(() => ChannelType, { nullable: true })
  channel(@Root() schedule: CollectionSchedule, @Ctx() ctx: Context) {
    if (!schedule.channel) return null;
    const where = ctx.access.where<Channel>('read', 'Channel');
    return where === null ? null : ctx.em.findOne(Channel, { $and: [where, { id: schedule.channel.id }] });
  }

  @Mutation(() => CollectionSchedulePayload)
  async createCollectionSchedule(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateCollectionScheduleInput) input: CreateCollectionScheduleInput,
  ) {
    return { schedule: await createSchedule(ctx, input) };
  }

  @Mutation(() => CollectionSchedulePayload)
  async updateCollectionSchedule(
    @Ctx() ctx: Context,
    @Arg('input', () => UpdateCollectionScheduleInput) input: UpdateCollectionScheduleInput,
  ) {
    return { schedule: await updateSchedule(ctx, input) };
  }

  @Mutation(() => Boolean, { description: 'Delete a schedule and its tasks; readings stay.' })
  deleteCollectionSchedule(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return deleteSchedule(ctx, id);
  }
}

@Resolver(() => CollectionTaskType)
export class CollectionTaskResolver extends NodeResolver<CollectionTask>(CollectionTaskType, 'CollectionTask') {
  @Query(() => CollectionTaskConnection, {
    description: 'Collection tasks (schedule slots and on-demand reads), newest first.',
  })
  collectionTasks(
    @Ctx() ctx: Context,
    @Arg('filter', () => CollectionTaskFilter, { nullable: true }) filter: CollectionTaskFilter | undefined,
    @Args(() => PageArgs) page: PageArgs,
  ) {
    return listTasks(ctx, filter, page);
  }

  @Query(() => CollectionTaskType)
  collectionTask(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, CollectionTask, 'Channel', 'read', id, undefined, 'CollectionTask');
  }

  @FieldResolver(() => CollectionScheduleType, { nullable: true, description: 'None for an on-demand read.' })
  schedule(@Root() task: CollectionTask, @Ctx() ctx: Context) {
    if (!task.schedule) return null;
    // Scoped like every relation: the schedule is shown only where the caller may read it.
    const where = ctx.access.where<CollectionSchedule>('read', 'Channel');
    return where === null ? null : ctx.em.findOne(CollectionSchedule, { $and: [where, { id: task.schedule.id }] });
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  orgUnit(@Root() task: CollectionTask, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(task.orgUnit.id);
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'Who asked, for an on-demand read.' })
  requestedBy(@Root() task: CollectionTask, @Ctx() ctx: Context) {
    return task.requestedBy ? ctx.loaders.user.load(task.requestedBy.id) : null;
  }

  @FieldResolver(() => CollectionRetryConnection, { description: 'The meters the task could not read.' })
  retries(@Root() task: CollectionTask, @Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    return listRetries(ctx, task, page);
  }
}

@Resolver(() => CollectionRetryType)
export class CollectionRetryResolver {
  @FieldResolver(() => MeterType, { nullable: true })
  meter(@Root() retry: CollectionRetry, @Ctx() ctx: Context) {
    return ctx.loaders.meter.load(retry.meter.id);
  }
}
