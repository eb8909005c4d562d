import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { JSONObjectResolver } from 'graphql-scalars';
import type { CollectionCycleEvent } from '../../shared/events.js';
import { type Context, loadPermitted, LocalDateScalar, NodeResolver, PageArgs, sessionOpen } from '../common/index.js';
import { Channel, MeterCollection, OrgUnit } from '../../orm/entities/index.js';
import { MeterType } from '../meter/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { redactSecrets } from './secret-settings.js';
import {
  AreaCompletenessType,
  ChannelConnection,
  ChannelPayload,
  ChannelType,
  CollectionCycleType,
  CreateChannelInput,
  MeterCollectionPayload,
  MeterCollectionType,
  ReadMeterNowInput,
  ReadMeterNowPayload,
  SetMeterCollectionInput,
  UpdateChannelInput,
} from './channel.type.js';
import {
  completeness,
  createChannel,
  listChannels,
  readMeterNow,
  removeMeterCollection,
  setMeterCollection,
  updateChannel,
} from './channel.service.js';

@Resolver(() => ChannelType)
export class ChannelResolver extends NodeResolver<Channel>(ChannelType, 'Channel') {
  @FieldResolver(() => JSONObjectResolver, {
    description: 'Device settings shared by the channel\'s meters (plugin\'s schema); secrets show as "[redacted]".',
  })
  settings(@Root() channel: Channel) {
    return redactSecrets(channel.settings);
  }

  @Query(() => ChannelConnection, { description: 'Collection channels the caller may see.' })
  channels(@Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    return listChannels(ctx, page);
  }

  @Query(() => ChannelType)
  channel(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, Channel, 'Channel', 'read', id);
  }

  @Query(() => [AreaCompletenessType], {
    description: 'Collection success rate and coverage per transformer area under a unit, for one local day.',
  })
  collectionCompleteness(
    @Ctx() ctx: Context,
    @Arg('orgUnitId', () => ID) orgUnitId: string,
    @Arg('day', () => LocalDateScalar) day: string,
  ) {
    return completeness(ctx, orgUnitId, String(day).slice(0, 10));
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  orgUnit(@Root() channel: Channel, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(channel.orgUnit.id);
  }

  @Mutation(() => ChannelPayload)
  async createChannel(@Ctx() ctx: Context, @Arg('input', () => CreateChannelInput) input: CreateChannelInput) {
    return { channel: await createChannel(ctx, input) };
  }

  @Mutation(() => ChannelPayload)
  async updateChannel(@Ctx() ctx: Context, @Arg('input', () => UpdateChannelInput) input: UpdateChannelInput) {
    return { channel: await updateChannel(ctx, input) };
  }

  @Mutation(() => MeterCollectionPayload, { description: 'Put a meter under automatic collection on a channel.' })
  async setMeterCollection(
    @Ctx() ctx: Context,
    @Arg('input', () => SetMeterCollectionInput) input: SetMeterCollectionInput,
  ) {
    return { collection: await setMeterCollection(ctx, input) };
  }

  @Mutation(() => Boolean, { description: 'Take a meter out of automatic collection.' })
  removeMeterCollection(@Ctx() ctx: Context, @Arg('meterId', () => ID) meterId: string) {
    return removeMeterCollection(ctx, meterId);
  }

  @Subscription(() => CollectionCycleType, {
    topics: 'COLLECTION_CYCLE',
    description:
      'Collection progress: one event per finished cycle (administrators and auditors: totals span every unit).',
    filter: async ({ context }: { context: Context }) =>
      (await sessionOpen(context)) && context.access.can('read', 'CollectorPlugin'),
  })
  collectionProgress(@Root() cycle: CollectionCycleEvent): CollectionCycleType {
    return { ...cycle, finishedAt: new Date(cycle.finishedAt) };
  }

  @Mutation(() => ReadMeterNowPayload, { description: 'On-demand read (召测): ahead of scheduled reads on its line.' })
  readMeterNow(@Ctx() ctx: Context, @Arg('input', () => ReadMeterNowInput) input: ReadMeterNowInput) {
    return readMeterNow(ctx, input.meterId);
  }
}

@Resolver(() => MeterCollectionType)
export class MeterCollectionResolver {
  @FieldResolver(() => JSONObjectResolver, {
    description: 'The meter\'s own device settings, over the channel\'s; secrets show as "[redacted]".',
  })
  settings(@Root() mc: MeterCollection) {
    return redactSecrets(mc.settings);
  }

  @FieldResolver(() => MeterType, { nullable: true })
  meter(@Root() mc: MeterCollection, @Ctx() ctx: Context) {
    return ctx.loaders.meter.load(mc.meter.id);
  }

  @FieldResolver(() => ChannelType, { nullable: true })
  channel(@Root() mc: MeterCollection, @Ctx() ctx: Context) {
    const where = ctx.access.where<Channel>('read', 'Channel');
    return where === null ? null : ctx.em.findOne(Channel, { $and: [where, { id: mc.channel.id }] });
  }
}

@Resolver(() => MeterType)
export class MeterCollectionFieldResolver {
  @FieldResolver(() => MeterCollectionType, { nullable: true, description: 'How the meter is collected, if it is.' })
  collection(@Root() meter: { id: number }, @Ctx() ctx: Context) {
    if (!ctx.access.can('read', 'Channel')) return null;
    return ctx.em.findOne(MeterCollection, { meter: meter.id });
  }
}

@Resolver(() => AreaCompletenessType)
export class AreaCompletenessResolver {
  @FieldResolver(() => OrgUnitType)
  orgUnit(@Root() row: { area: OrgUnit }) {
    return row.area;
  }
}
