import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar, LocalDateScalar } from '../common/index.js';

export enum TouBand {
  T1 = 'T1',
  T2 = 'T2',
  T3 = 'T3',
  T4 = 'T4',
}
registerEnumType(TouBand, {
  name: 'TouBand',
  description: 'Time-of-use band (尖峰平谷), as the meter registers FORWARD_ACTIVE_T1..T4 count them.',
  valuesConfig: {
    T1: { description: 'Critical peak (尖)' },
    T2: { description: 'Peak (峰)' },
    T3: { description: 'Flat (平)' },
    T4: { description: 'Valley (谷)' },
  },
});

export enum ConsumptionGranularity {
  DAY = 'DAY',
  MONTH = 'MONTH',
}
registerEnumType(ConsumptionGranularity, {
  name: 'ConsumptionGranularity',
  description: "Local days, or calendar months, of the time zone of the customer's organisation.",
});

export enum ConsumptionProblemKind {
  MISSING_VALUE = 'MISSING_VALUE',
  REGISTER_DECREASE = 'REGISTER_DECREASE',
  BANDS_EXCEED_TOTAL = 'BANDS_EXCEED_TOTAL',
}
registerEnumType(ConsumptionProblemKind, { name: 'ConsumptionProblemKind' });

@ObjectType('BandEnergy')
export class BandEnergyType {
  @Field(() => TouBand)
  band!: TouBand;

  @Field(() => DecimalScalar, { description: 'kWh' })
  kwh!: string;
}

@ObjectType('ConsumptionProblem', { description: 'Why a period has no consumption.' })
export class ConsumptionProblemType {
  @Field(() => ConsumptionProblemKind)
  kind!: ConsumptionProblemKind;

  @Field(() => ID)
  meterId!: string;

  @Field(() => Date)
  at!: Date;

  @Field()
  message!: string;
}

@ObjectType('RegisterEnd', { description: "One end of a meter's part of a period: the value and where it came from." })
export class RegisterEndType {
  @Field(() => Date)
  at!: Date;

  @Field(() => DecimalScalar)
  value!: string;

  @Field({ description: "READING at the boundary, or the meter assignment's INSTALLATION or REMOVAL value." })
  from!: string;

  @Field()
  estimated!: boolean;
}

@ObjectType('ConsumptionPart', { description: "One meter's share of a period: the determinants of the energy." })
export class ConsumptionPartType {
  @Field(() => ID)
  meterId!: string;

  @Field(() => DecimalScalar)
  multiplier!: string;

  @Field(() => RegisterEndType)
  start!: RegisterEndType;

  @Field(() => RegisterEndType)
  end!: RegisterEndType;

  @Field({ description: 'The register passed its maximum and restarted from zero.' })
  rolledOver!: boolean;

  @Field(() => DecimalScalar, { description: 'kWh: (end - start) x multiplier, with rollover.' })
  kwh!: string;
}

@ObjectType('ConsumptionPeriod')
export class ConsumptionPeriodType {
  @Field(() => LocalDateScalar)
  from!: string;

  @Field(() => LocalDateScalar, { description: 'Exclusive.' })
  to!: string;

  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;

  @Field(() => Int, { description: 'Hours in the period: 23 or 25 for a day when clocks change.' })
  hours!: number;

  @Field(() => DecimalScalar, { nullable: true, description: 'kWh; null when a value is missing or impossible.' })
  total?: string | null;

  @Field(() => [BandEnergyType], { nullable: true, description: 'kWh per band; sums exactly to the total.' })
  bands?: BandEnergyType[] | null;

  @Field({ description: 'Some value used was estimated.' })
  estimated!: boolean;

  @Field(() => [ConsumptionProblemType])
  problems!: ConsumptionProblemType[];

  @Field(() => [ConsumptionPartType])
  parts!: ConsumptionPartType[];
}

@ObjectType('ConsumptionSeries', {
  description:
    'Energy of a service point from its cumulative registers. Computed on request from the register values at local midnights, so it always reflects the latest edit or late reading.',
})
export class ConsumptionSeriesType {
  @Field(() => ID)
  servicePointId!: string;

  @Field()
  timeZone!: string;

  @Field(() => ConsumptionGranularity)
  granularity!: ConsumptionGranularity;

  @Field(() => ConsumptionPeriodType, {
    description: 'The whole range, from its two end values (a gap inside the range does not stop the total).',
  })
  whole!: ConsumptionPeriodType;

  @Field(() => [ConsumptionPeriodType])
  periods!: ConsumptionPeriodType[];
}
