import { TouBand } from '../consumption/index.js';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CustomerCategory, TierBasis } from '../../orm/entities/enums.js';
import { ConnectionType, DecimalScalar, LocalDateScalar, NodeInterface } from '../common/index.js';
import { CustomerType } from '../customer/index.js';

registerEnumType(TierBasis, {
  name: 'TierBasis',
  description: 'What tier thresholds count: kWh of the calendar year (reset on 1 January) or of the billing cycle.',
});

/** The TOU bands of consumption, priced per band here. */
export { TouBand };

@ObjectType({ description: 'The energy price of one TOU band, CNY/kWh.' })
export class BandPrice {
  @Field(() => TouBand)
  band!: TouBand;

  @Field(() => DecimalScalar)
  price!: string;
}

@ObjectType('TariffTier', { description: 'A tier (阶梯) of cumulative kWh and its adder on top of the energy price.' })
export class TariffTier {
  @Field(() => Int, { description: '1, 2, 3...' })
  tier!: number;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Upper threshold of cumulative kWh (inclusive of the kWh up to it); null: open-ended (the last tier).',
  })
  upToKwh!: string | null;

  @Field(() => DecimalScalar, { description: 'CNY/kWh added to the band or flat price for kWh in this tier.' })
  adder!: string;
}

@ObjectType({ description: 'A charge per billing cycle, prorated by days when a version changes within a cycle.' })
export class FixedCharge {
  @Field()
  name!: string;

  @Field(() => DecimalScalar, { description: 'CNY per billing cycle.' })
  amount!: string;
}

@ObjectType({ description: 'A charge per kWh on all energy (government funds and surcharges).' })
export class Surcharge {
  @Field()
  name!: string;

  @Field(() => DecimalScalar, { description: 'CNY/kWh.' })
  perKwh!: string;
}

@ObjectType('TariffVersion', {
  description:
    'The prices of a tariff from one date on. The price of kWh in (tier, band) is the band price (or the flat ' +
    'price) plus the tier adder.',
})
export class TariffVersionType {
  @Field(() => LocalDateScalar)
  effectiveFrom!: string;

  @Field(() => LocalDateScalar, {
    nullable: true,
    description: "The next version's effectiveFrom (exclusive); null for the latest version.",
  })
  effectiveTo!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'CNY/kWh, for consumption not split into TOU bands.' })
  flatPrice!: string | null;

  @Field(() => [BandPrice], { description: 'TOU prices; empty for a tariff without TOU.' })
  bandPrices!: BandPrice[];

  @Field(() => [TariffTier])
  tiers!: TariffTier[];

  @Field(() => [FixedCharge])
  fixedCharges!: FixedCharge[];

  @Field(() => [Surcharge])
  surcharges!: Surcharge[];

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('Tariff', {
  implements: NodeInterface,
  description: 'A tariff (电价) for one category of customers, with dated versions. Company-wide.',
})
export class TariffType extends NodeInterface {
  @Field({ description: 'Unique code, e.g. RES-TIERED.' })
  code!: string;

  @Field()
  name!: string;

  @Field(() => CustomerCategory)
  customerCategory!: CustomerCategory;

  @Field({
    description: "Whether it is the default tariff of its category: applies to the category's customers without one.",
  })
  isDefault!: boolean;

  @Field(() => TierBasis)
  tierBasis!: TierBasis;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

export const TariffConnection = ConnectionType(TariffType, 'Tariff');

@ObjectType()
export class TariffPayload {
  @Field(() => TariffType)
  tariff!: TariffType;
}

@ObjectType()
export class AddTariffVersionPayload {
  @Field(() => TariffType)
  tariff!: TariffType;

  @Field(() => TariffVersionType)
  version!: TariffVersionType;
}

@ObjectType()
export class SetCustomerTariffPayload {
  @Field(() => CustomerType)
  customer!: CustomerType;
}
