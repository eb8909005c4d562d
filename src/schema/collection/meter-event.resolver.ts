import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { MeterEvent } from '../../orm/entities/index.js';
import { OrderDirection, paginate, PageArgs } from '../common/connection.js';
import type { Context } from '../common/context.js';
import { MeterType } from '../meter/meter.type.js';
import { MeterEventConnection } from './meter-event.type.js';

@Resolver(() => MeterType)
export class MeterEventFieldResolver {
  @FieldResolver(() => MeterEventConnection, {
    description: "The meter's recorded events, newest first (the meter itself was checked when it was loaded).",
  })
  events(@Root() meter: { id: number }, @Ctx() ctx: Context, @Args(() => PageArgs) page: PageArgs) {
    return paginate(
      ctx.em,
      MeterEvent,
      { meter: meter.id },
      page,
      { field: 'occurredAt', direction: OrderDirection.DESC },
      ctx.config.maxPageSize,
      true,
    );
  }
}
