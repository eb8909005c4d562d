import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { type Meter, Reading, RegisterCode } from '../../orm/entities/index.js';
import {
  type Context,
  NodeResolver,
  PageArgs,
  renewRequestState,
  sharedEventRow,
  subscriberMayReceive,
} from '../common/index.js';
import type { ReadingRecordedEvent } from '../../shared/events.js';
import { MeterType } from '../meter/index.js';
import {
  ReadingConnection,
  ReadingFilter,
  ReadingOrder,
  ReadingPayload,
  ReadingType,
  RecordManualReadingInput,
} from './reading.type.js';
import { listReadings, recordManualReading } from './reading.service.js';

@Resolver(() => ReadingType)
export class ReadingResolver extends NodeResolver<Reading>(ReadingType, 'Reading') {
  @Query(() => ReadingConnection, { description: 'Register readings in a bounded time range.' })
  readings(
    @Ctx() ctx: Context,
    @Arg('filter', () => ReadingFilter) filter: ReadingFilter,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('orderBy', () => ReadingOrder, { nullable: true }) orderBy?: ReadingOrder,
  ) {
    return listReadings(ctx, filter, orderBy, page);
  }

  @FieldResolver(() => MeterType, { nullable: true })
  meter(@Root() reading: Reading, @Ctx() ctx: Context) {
    return ctx.loaders.meter.load(reading.meter.id);
  }

  @Mutation(() => ReadingPayload, { description: 'Record a reading taken by hand (source MANUAL).' })
  async recordManualReading(
    @Ctx() ctx: Context,
    @Arg('input', () => RecordManualReadingInput) input: RecordManualReadingInput,
  ) {
    return { reading: await recordManualReading(ctx, input) };
  }

  @Subscription(() => ReadingType, {
    topics: 'READING_RECORDED',
    description: 'Readings as they are stored, limited to meters the subscriber may read.',
    // Every event is checked against the subscriber's own permissions, not only the arguments.
    filter: async ({
      payload,
      args,
      context,
    }: {
      payload: ReadingRecordedEvent;
      args: { orgUnitSubtree?: string };
      context: Context;
    }) => {
      return subscriberMayReceive(
        context,
        'Reading',
        { orgPath: payload.orgPath, meterId: payload.meterId },
        args.orgUnitSubtree ? { id: args.orgUnitSubtree, path: ['orgUnitSubtree'] } : undefined,
      );
    },
  })
  readingRecorded(
    @Root() payload: ReadingRecordedEvent,
    @Ctx() ctx: Context,
    @Arg('orgUnitSubtree', () => ID, { nullable: true }) _orgUnitSubtree?: string,
  ) {
    // Each event is resolved with fresh data: a new EntityManager and loaders without old caches.
    renewRequestState(ctx);
    return sharedEventRow(
      `Reading:${payload.readingId}`,
      (em) => em.findOneOrFail(Reading, { id: payload.readingId }),
      ctx.em,
    );
  }
}

/** A meter's newest reading of a register: the reading module adds it to Meter. */
@Resolver(() => MeterType)
export class MeterLatestReadingResolver {
  @FieldResolver(() => ReadingType, { nullable: true, description: 'The newest reading of a register.' })
  latestReading(
    @Root() meter: Meter,
    @Ctx() ctx: Context,
    @Arg('register', () => RegisterCode, { defaultValue: RegisterCode.FORWARD_ACTIVE_TOTAL }) register: RegisterCode,
  ) {
    return ctx.loaders.latestReading.load({ meterId: meter.id, register });
  }
}
