import { Arg, Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql';
import { consumptionBetween } from '../../billing/consumption.js';
import { billingCycleOf, localDateOf, localMidnight } from '../../billing/local-days.js';
import { tierProgressOf, TariffError, versionOn } from '../../billing/tariff-engine.js';
import { Bill, BillStatus, Customer, ServicePoint } from '../../orm/entities/index.js';
import { Dec } from '../../shared/decimal.js';
import { badField } from '../../shared/errors.js';
import { type Context, DecimalScalar, LocalDateScalar } from '../common/index.js';
import { loadRegisterValues, loadServicePointSpans } from '../consumption/index.js';
import { CustomerType } from '../customer/index.js';
import { tariffFor } from './tariff.service.js';

@ObjectType('TierUsage')
export class TierUsageType {
  @Field(() => Int)
  tier!: number;

  @Field(() => DecimalScalar, { nullable: true, description: 'Cumulative kWh where the tier ends; null for the last.' })
  upToKwh?: string | null;

  @Field(() => DecimalScalar)
  usedInTier!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'kWh left before the next tier; null for the last.' })
  remainingInTier?: string | null;
}

@ObjectType('TierProgress', {
  description: 'How far the customer is into the tiers of their tariff: "kWh left in tier 1 this year".',
})
export class TierProgressType {
  @Field()
  tariffCode!: string;

  @Field({ description: 'ANNUAL (calendar year) or MONTHLY (billing cycle).' })
  basis!: string;

  @Field(() => LocalDateScalar, { description: 'Where the count starts: 1 January, or the cycle start.' })
  countedFrom!: string;

  @Field(() => LocalDateScalar, { description: 'The count runs to the start of this day.' })
  asOf!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'kWh counted; null when a register value is missing.' })
  usedKwh?: string | null;

  @Field(() => [TierUsageType])
  tiers!: TierUsageType[];

  @Field(() => [String])
  notes!: string[];
}

/**
 * Tier progress as of a day: for ANNUAL tiers, the count the last bill of the year carried
 * (tierUsedAfter) plus the energy since its cycle ended, or the energy since 1 January when no
 * bill of the year exists; for MONTHLY tiers, the energy since the current cycle started.
 */
export async function tierProgress(ctx: Context, customer: Customer, on?: string): Promise<TierProgressType> {
  ctx.access.assert('read', 'Reading');
  await ctx.em.populate(customer, ['orgUnit']);
  const zone = await ctx.loaders.effectiveTimeZone.load(customer.orgUnit.path);
  const asOf = on ?? localDateOf(new Date(), zone);
  let terms;
  try {
    terms = await tariffFor(ctx.em, customer, asOf);
  } catch (error) {
    if (error instanceof TariffError) throw badField(['on'], error.message);
    throw error;
  }
  const current = versionOn(terms, asOf)!;
  const notes: string[] = [];
  let countedFrom: string;
  let carried = new Dec(0);
  if (current.tierBasis === 'MONTHLY') countedFrom = billingCycleOf(asOf, customer.billingDay).start;
  else {
    const yearStart = `${asOf.slice(0, 4)}-01-01`;
    const last = await ctx.em.findOne(
      Bill,
      {
        customer,
        status: { $ne: BillStatus.SUPERSEDED },
        cycleEnd: { $gt: yearStart, $lte: asOf },
      },
      { orderBy: { cycleEnd: 'desc', version: 'desc' } },
    );
    countedFrom = last ? last.cycleEnd : yearStart;
    if (last) {
      carried = new Dec(last.tierUsedAfter);
      notes.push(`${last.tierUsedAfter} kWh counted by the bill of ${last.period} (version ${last.version})`);
    }
  }
  const points = await ctx.em.find(ServicePoint, { customer }, { fields: ['id'] });
  const spans = await loadServicePointSpans(
    ctx.em,
    points.map((p) => p.id),
  );
  const [start, end] = [localMidnight(countedFrom, zone), localMidnight(asOf, zone)];
  const values = await loadRegisterValues(
    ctx.em,
    [...spans.values()].flat().map((s) => s.meterId),
    [start, end],
    ['TOTAL'],
  );
  let used: Dec | null = carried;
  for (const spanList of spans.values()) {
    const c = start < end ? consumptionBetween(spanList, values.get, start, end) : null;
    if (c && c.total === null) {
      notes.push(...c.problems.map((p) => p.message));
      used = null;
      break;
    }
    if (c) used = used.plus(c.total!);
  }
  return {
    tariffCode: (await (customer.tariff
      ? ctx.loaders.tariff.load(customer.tariff.id)
      : ctx.loaders.defaultTariff.load(customer.category)))!.code,
    basis: current.tierBasis,
    countedFrom,
    asOf,
    usedKwh: used?.toFixed() ?? null,
    tiers: used === null ? [] : tierProgressOf(current, used.toFixed()),
    notes,
  };
}

@Resolver(() => CustomerType)
export class CustomerTierProgressResolver {
  @FieldResolver(() => TierProgressType, {
    description: "Tier progress of the customer's tariff as of a day (default today): kWh used and left in each tier.",
  })
  tierProgress(
    @Root() customer: Customer,
    @Ctx() ctx: Context,
    @Arg('on', () => LocalDateScalar, { nullable: true }) on?: string,
  ) {
    return tierProgress(ctx, customer, on);
  }
}
