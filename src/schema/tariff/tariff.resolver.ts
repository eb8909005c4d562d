import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { localDateOf } from '../../billing/local-days.js';
import { type Customer, Tariff } from '../../orm/entities/index.js';
import { type Context, loadPermitted, LocalDateScalar, NodeResolver, PageArgs } from '../common/index.js';
import { CustomerType } from '../customer/index.js';
import {
  AddTariffVersionInput,
  CreateTariffInput,
  SetCustomerTariffInput,
  TariffFilter,
  UpdateTariffInput,
} from './tariff.input.js';
import {
  addTariffVersion,
  createTariff,
  listTariffs,
  setCustomerTariff,
  updateTariff,
  versionIn,
  versionViews,
} from './tariff.service.js';
import {
  AddTariffVersionPayload,
  SetCustomerTariffPayload,
  TariffConnection,
  TariffPayload,
  TariffType,
  TariffVersionType,
} from './tariff.type.js';

@Resolver(() => TariffType)
export class TariffResolver extends NodeResolver<Tariff>(TariffType, 'Tariff') {
  @Query(() => TariffConnection, { description: 'Tariffs by code.' })
  tariffs(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => TariffFilter, { nullable: true }) filter?: TariffFilter,
  ) {
    return listTariffs(ctx, filter, page);
  }

  @Query(() => TariffType)
  tariff(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, Tariff, 'Tariff', 'read', id);
  }

  @FieldResolver(() => [TariffVersionType], { description: 'Every version, oldest first.' })
  async versions(@Root() tariff: Tariff, @Ctx() ctx: Context) {
    return versionViews(await ctx.loaders.tariffVersions.load(tariff.id));
  }

  @FieldResolver(() => TariffVersionType, {
    nullable: true,
    description:
      'The version in effect on a local date (default: today in the server time zone); null before the first.',
  })
  async currentVersion(
    @Root() tariff: Tariff,
    @Ctx() ctx: Context,
    @Arg('on', () => LocalDateScalar, { nullable: true }) on?: string,
  ) {
    const day = on ?? localDateOf(new Date(), ctx.config.defaultTimeZone);
    return versionIn(versionViews(await ctx.loaders.tariffVersions.load(tariff.id)), day);
  }

  @Mutation(() => TariffPayload, { description: 'A new tariff, without versions yet (administrators).' })
  createTariff(@Ctx() ctx: Context, @Arg('input', () => CreateTariffInput) input: CreateTariffInput) {
    return createTariff(ctx, input);
  }

  @Mutation(() => TariffPayload, { description: "A tariff's name, or whether it is its category's default." })
  updateTariff(@Ctx() ctx: Context, @Arg('input', () => UpdateTariffInput) input: UpdateTariffInput) {
    return updateTariff(ctx, input);
  }

  @Mutation(() => AddTariffVersionPayload, {
    description:
      'New prices from a date on. Refused: invalid terms (BAD_USER_INPUT), a second version on one date (CONFLICT).',
  })
  addTariffVersion(@Ctx() ctx: Context, @Arg('input', () => AddTariffVersionInput) input: AddTariffVersionInput) {
    return addTariffVersion(ctx, input);
  }

  @Mutation(() => SetCustomerTariffPayload, {
    description: "Give a customer a tariff of their category, or (tariffId null) go back to the category's default.",
  })
  setCustomerTariff(@Ctx() ctx: Context, @Arg('input', () => SetCustomerTariffInput) input: SetCustomerTariffInput) {
    return setCustomerTariff(ctx, input);
  }
}

@Resolver(() => CustomerType)
export class CustomerTariffResolver {
  @FieldResolver(() => TariffType, {
    nullable: true,
    description: "The tariff that applies: the customer's own, else the default of their category.",
  })
  tariff(@Root() customer: Customer, @Ctx() ctx: Context) {
    return customer.tariff
      ? ctx.loaders.tariff.load(customer.tariff.id)
      : ctx.loaders.defaultTariff.load(customer.category);
  }
}
