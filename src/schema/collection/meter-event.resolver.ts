import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { MeterEvent } from '../../orm/entities/index.js';
import { type Context, OrderDirection, PageArgs, paginate } from '../common/index.js';
import { MeterType } from '../meter/index.js';
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
