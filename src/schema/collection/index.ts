// Collection as admins run it: channels, meters under collection, schedules and tasks, plugins,
// on-demand reads, relay commands.
import { CollectionResolver } from './collection.resolver.js';
import {
  AreaCompletenessResolver,
  ChannelResolver,
  MeterCollectionFieldResolver,
  MeterCollectionResolver,
} from './channel.resolver.js';
import { CollectionRetryResolver, CollectionScheduleResolver, CollectionTaskResolver } from './schedule.resolver.js';
import { MeterEventFieldResolver } from './meter-event.resolver.js';
import { RelayResolver } from './relay.resolver.js';

export const resolvers = [
  CollectionResolver,
  ChannelResolver,
  MeterCollectionResolver,
  MeterCollectionFieldResolver,
  AreaCompletenessResolver,
  CollectionScheduleResolver,
  CollectionTaskResolver,
  CollectionRetryResolver,
  MeterEventFieldResolver,
  RelayResolver,
] as const;
