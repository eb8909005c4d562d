import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { TrainingRecord, User } from '../../orm/entities/index.js';
import { toGlobalId } from '../../shared/global-id.js';
import {
  connectionOf,
  type Context,
  FirstArgs,
  loadPermitted,
  NodeResolver,
  PageArgs,
  pageSize,
} from '../common/index.js';
import { UserType } from '../user/index.js';
import { deleteTraining, listTrainingRecords, recordTraining, updateTraining } from './training.service.js';
import {
  DeleteTrainingInput,
  DeleteTrainingPayload,
  RecordTrainingInput,
  TrainingRecordConnection,
  TrainingRecordFilter,
  TrainingRecordObject,
  TrainingRecordPayload,
  UpdateTrainingInput,
} from './training.type.js';

@Resolver(() => TrainingRecordObject)
export class TrainingRecordResolver extends NodeResolver<TrainingRecord>(TrainingRecordObject, 'TrainingRecord') {
  @Query(() => TrainingRecordConnection, {
    description:
      "Training records the caller may read (managers: their subtree's staff; field staff: their own), newest first.",
  })
  trainingRecords(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => TrainingRecordFilter, { nullable: true }) filter?: TrainingRecordFilter,
  ) {
    return listTrainingRecords(ctx, filter, page);
  }

  @Query(() => TrainingRecordObject)
  trainingRecord(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, TrainingRecord, 'TrainingRecord', 'read', id);
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'The person trained (null if not readable).' })
  user(@Root() record: TrainingRecord, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(record.user.id);
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'Who entered the record (null if not readable).' })
  recordedBy(@Root() record: TrainingRecord, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(record.recordedBy.id);
  }

  @Mutation(() => TrainingRecordPayload, { description: 'Record a course a member of staff took (paper 3.8).' })
  async recordTraining(@Ctx() ctx: Context, @Arg('input', () => RecordTrainingInput) input: RecordTrainingInput) {
    return { trainingRecord: await recordTraining(ctx, input) };
  }

  @Mutation(() => TrainingRecordPayload, { description: 'Correct a training record.' })
  async updateTraining(@Ctx() ctx: Context, @Arg('input', () => UpdateTrainingInput) input: UpdateTrainingInput) {
    return { trainingRecord: await updateTraining(ctx, input) };
  }

  @Mutation(() => DeleteTrainingPayload, { description: 'Delete a training record entered by mistake.' })
  async deleteTraining(@Ctx() ctx: Context, @Arg('input', () => DeleteTrainingInput) input: DeleteTrainingInput) {
    return { deletedId: toGlobalId('TrainingRecord', await deleteTraining(ctx, input)) };
  }
}

/** A person's training records on the User type. */
@Resolver(() => UserType)
export class UserTrainingResolver {
  @FieldResolver(() => TrainingRecordConnection, {
    description: "The person's training records the caller may read, newest first (page further with trainingRecords).",
  })
  async trainingRecords(@Root() user: User, @Ctx() ctx: Context, @Args(() => FirstArgs) page: FirstArgs) {
    const first = pageSize(page.first, ctx.config.maxPageSize);
    const rows = await ctx.loaders.userTrainingRecords.load({ parentId: user.id, first });
    return connectionOf(rows, first, () => ctx.loaders.userTrainingRecordCount.load(user.id));
  }
}
