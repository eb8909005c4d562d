import { Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../common/index.js';
import { CollectorPluginType } from './collection.type.js';

@Resolver()
export class CollectionResolver {
  @Query(() => [CollectorPluginType], { description: 'Configured collector plugins and whether they loaded.' })
  collectorPlugins(@Ctx() ctx: Context): CollectorPluginType[] {
    ctx.access.assert('read', 'CollectorPlugin');
    return ctx.collection.plugins().map((p) => ({
      id: p.id,
      source: p.source,
      version: p.version,
      status: p.status.toUpperCase(),
      error: p.error,
      displayName: p.description?.displayName.en,
      mode: p.description?.mode,
      transport: p.description?.transport,
      timeSync: p.description?.capabilities?.timeSync ?? false,
      relayControl: p.description?.capabilities?.relayControl ?? false,
    }));
  }
}
