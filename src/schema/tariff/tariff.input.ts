import { Field, ID, InputType } from 'type-graphql';
import { CustomerCategory, TierBasis } from '../../orm/entities/enums.js';
import { DecimalScalar, LocalDateScalar } from '../common/index.js';
import { TouBand } from './tariff.type.js';

@InputType()
export class TariffFilter {
  @Field(() => CustomerCategory, { nullable: true })
  customerCategory?: CustomerCategory;

  @Field({ nullable: true, description: 'Exact code.' })
  code?: string;
}

@InputType()
export class CreateTariffInput {
  @Field({ description: '1-32 letters, digits, dot, dash or underscore; unique.' })
  code!: string;

  @Field()
  name!: string;

  @Field(() => CustomerCategory)
  customerCategory!: CustomerCategory;

  @Field(() => TierBasis, { description: 'Fixed once the tariff exists.' })
  tierBasis!: TierBasis;

  @Field({
    nullable: true,
    description: 'Make it the default of its category; the previous default (if any) stops being one.',
  })
  isDefault?: boolean;
}

@InputType()
export class UpdateTariffInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true })
  name?: string;

  @Field({
    nullable: true,
    description:
      'true: make it the default of its category (the previous default stops being one); false: the category ' +
      'has no default until another tariff is made one.',
  })
  isDefault?: boolean;
}

@InputType()
export class BandPriceInput {
  @Field(() => TouBand)
  band!: TouBand;

  @Field(() => DecimalScalar, { description: 'CNY/kWh.' })
  price!: string;
}

@InputType()
export class TariffTierInput {
  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Upper threshold of cumulative kWh; ascending; null for the last tier only.',
  })
  upToKwh?: string | null;

  @Field(() => DecimalScalar, { description: 'CNY/kWh added to the energy price in this tier ("0" for tier 1).' })
  adder!: string;
}

@InputType()
export class FixedChargeInput {
  @Field()
  name!: string;

  @Field(() => DecimalScalar, { description: 'CNY per billing cycle.' })
  amount!: string;
}

@InputType()
export class SurchargeInput {
  @Field()
  name!: string;

  @Field(() => DecimalScalar, { description: 'CNY/kWh on all energy.' })
  perKwh!: string;
}

@InputType({ description: 'A new version of a tariff. Versions are never edited: a correction is a new version.' })
export class AddTariffVersionInput {
  @Field(() => ID)
  tariffId!: string;

  @Field(() => LocalDateScalar, { description: 'In effect from this local date until the next version.' })
  effectiveFrom!: string;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'CNY/kWh; required without band prices, and for meters without TOU registers.',
  })
  flatPrice?: string | null;

  @Field(() => [BandPriceInput], { nullable: true, description: 'TOU prices, one per band at most.' })
  bandPrices?: BandPriceInput[] | null;

  @Field(() => [TariffTierInput], {
    description: 'At least one; a tariff without tiers has one open-ended tier with adder "0".',
  })
  tiers!: TariffTierInput[];

  @Field(() => [FixedChargeInput], { nullable: true })
  fixedCharges?: FixedChargeInput[] | null;

  @Field(() => [SurchargeInput], { nullable: true })
  surcharges?: SurchargeInput[] | null;
}

@InputType()
export class SetCustomerTariffInput {
  @Field(() => ID)
  customerId!: string;

  @Field(() => ID, {
    nullable: true,
    description: "A tariff of the customer's category; null: the category's default applies.",
  })
  tariffId?: string | null;
}
