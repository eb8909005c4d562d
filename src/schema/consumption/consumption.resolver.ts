import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { type Context, LocalDateScalar } from '../common/index.js';
import { servicePointConsumption } from './consumption.service.js';
import { ConsumptionGranularity, ConsumptionSeriesType } from './consumption.type.js';

@Resolver()
export class ConsumptionResolver {
  @Query(() => ConsumptionSeriesType, {
    description:
      'Energy of a service point per local day or calendar month, from its cumulative registers: multiplier, rollover and meter exchanges included. At most 366 days or 36 months.',
  })
  consumption(
    @Ctx() ctx: Context,
    @Arg('servicePointId', () => ID) servicePointId: string,
    @Arg('from', () => LocalDateScalar) from: string,
    @Arg('to', () => LocalDateScalar, { description: 'Exclusive.' }) to: string,
    @Arg('granularity', () => ConsumptionGranularity, { defaultValue: ConsumptionGranularity.DAY })
    granularity: ConsumptionGranularity,
  ) {
    return servicePointConsumption(ctx, { servicePointId, from, to, granularity });
  }
}
