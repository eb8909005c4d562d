import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType, DecimalScalar, LocalDateScalar } from '../common/index.js';
import { ConsumptionProblemKind } from '../consumption/index.js';
import { OrgUnitType } from '../org-unit/index.js';

export enum LineLossGranularity {
  PERIOD = 'PERIOD',
  DAY = 'DAY',
}
registerEnumType(LineLossGranularity, {
  name: 'LineLossGranularity',
  description: 'PERIOD: one balance per area for the whole range; DAY: also a balance per local day.',
});

export enum LineLossStatus {
  OK = 'OK',
  NO_SUPPLY_METER = 'NO_SUPPLY_METER',
  SUPPLY_MISSING_DATA = 'SUPPLY_MISSING_DATA',
  NO_SUPPLY_ENERGY = 'NO_SUPPLY_ENERGY',
}
registerEnumType(LineLossStatus, {
  name: 'LineLossStatus',
  description:
    'OK: computed. Otherwise the loss cannot be computed: the area has no supply meter, a supply meter value is missing or impossible, or the supply meter recorded no energy.',
});

export enum LineLossSuspectKind {
  STOPPED = 'STOPPED',
  FLYING = 'FLYING',
  MISSING_DATA = 'MISSING_DATA',
  WRONG_AREA = 'WRONG_AREA',
}
registerEnumType(LineLossSuspectKind, {
  name: 'LineLossSuspectKind',
  description:
    'STOPPED: no consumption while the area had load. FLYING: more than contracted capacity x hours x 1.2, or more than 5 times its previous period. MISSING_DATA: excluded for a missing or impossible value. WRONG_AREA: an open WRONG_TRANSFORMER_AREA alarm.',
});

@InputType()
export class LineLossFilter {
  @Field(() => ID, {
    nullable: true,
    description: 'Transformer areas in the subtree of this unit (a station or an area).',
  })
  orgUnitSubtree?: string;

  @Field(() => LocalDateScalar)
  from!: string;

  @Field(() => LocalDateScalar, {
    description: 'Exclusive. At most 366 days after from, 92 with granularity DAY.',
  })
  to!: string;
}

@ObjectType('LineLossBand', { description: 'Qualification band of the loss rate, in percent, ends included.' })
export class LineLossBandType {
  @Field(() => DecimalScalar)
  min!: string;

  @Field(() => DecimalScalar)
  max!: string;

  @Field({ description: "The server's default band: the area has none of its own." })
  isDefault!: boolean;
}

@ObjectType('LineLossExclusion', { description: 'A customer meter left out of the sold energy, and why.' })
export class LineLossExclusionType {
  @Field(() => ID)
  meterId!: string;

  @Field(() => ConsumptionProblemKind)
  reason!: ConsumptionProblemKind;

  @Field()
  detail!: string;

  /** Local ids, for the meter and customer fields. */
  meterLocalId!: number;
  customerLocalId?: number;
}

@ObjectType('LineLossSuspect', { description: 'A meter that may explain the loss.' })
export class LineLossSuspectType {
  @Field(() => ID)
  meterId!: string;

  @Field(() => LineLossSuspectKind)
  kind!: LineLossSuspectKind;

  @Field(() => DecimalScalar, {
    description:
      'kWh the meter could account for: the expected energy of a stopped or unread meter (its previous period, else the area mean), the excess of a flying one, the energy of one in the wrong area. Suspects are ranked by it, largest first.',
  })
  score!: string;

  @Field()
  detail!: string;

  meterLocalId!: number;
  customerLocalId?: number;
}

/** Fields of a balance that a period and a day share. */
@ObjectType()
export class LineLossBalanceFields {
  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;

  @Field(() => Int, { description: 'Hours between the two local midnights (a day of a clock change has 23 or 25).' })
  hours!: number;

  @Field(() => LineLossStatus)
  status!: LineLossStatus;

  @Field(() => String, { nullable: true, description: 'Why the loss cannot be computed.' })
  statusDetail!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Purchased energy, kWh (exact): the supply meter.' })
  supplyKwh!: string | null;

  @Field(() => DecimalScalar, { description: 'Sold energy, kWh (exact): the included customer meters.' })
  customersKwh!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'supplyKwh - customersKwh (exact).' })
  lossKwh!: string | null;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'lossKwh / supplyKwh in percent, rounded half up to 2 decimals; null when not computable.',
  })
  lossRate!: string | null;

  @Field({
    description:
      'The rate (as displayed) lies in the band. A negative loss is never qualified: a meter is missing or wrong.',
  })
  qualified!: boolean;

  @Field(() => Int)
  includedCount!: number;
}

@ObjectType('LineLossDay', { description: "One local day's balance." })
export class LineLossDayType extends LineLossBalanceFields {
  @Field(() => LocalDateScalar)
  date!: string;

  @Field(() => Int)
  excludedCount!: number;
}

@ObjectType('LineLossArea', {
  description:
    "Purchased vs sold energy of a transformer area over a range of local days: its supply meter against its customers' meters, both from the register values frozen at the same local midnights. Computed on request, so it reflects the latest reading or correction.",
})
export class LineLossAreaType extends LineLossBalanceFields {
  @Field(() => OrgUnitType)
  area!: OrgUnitType;

  @Field({ description: "The area's time zone, whose local midnights bound the period." })
  timeZone!: string;

  @Field(() => LocalDateScalar)
  from!: string;

  @Field(() => LocalDateScalar, { description: 'Exclusive.' })
  to!: string;

  @Field({ description: 'A supply meter value used was estimated.' })
  supplyEstimated!: boolean;

  @Field(() => LineLossBandType)
  band!: LineLossBandType;

  @Field(() => Int, { description: 'Customer meters (service points) in the area during the period.' })
  meterCount!: number;

  @Field(() => Int, { description: 'Included meters whose values include an estimate (estimates are counted).' })
  estimatedCount!: number;

  @Field(() => [LineLossExclusionType])
  excluded!: LineLossExclusionType[];

  @Field(() => [LineLossSuspectType], { description: 'Largest score first.' })
  suspects!: LineLossSuspectType[];

  @Field(() => [LineLossDayType], { nullable: true, description: 'Per local day, with granularity DAY.' })
  days!: LineLossDayType[] | null;
}

export const LineLossConnection = ConnectionType(LineLossAreaType, 'LineLossArea');

@ObjectType('LineLossTotals', { description: 'Sums over the areas of the page whose loss could be computed.' })
export class LineLossTotalsType {
  @Field(() => Int)
  areaCount!: number;

  @Field(() => Int, { description: 'Areas whose loss could be computed (status OK): the sums are theirs.' })
  computedCount!: number;

  @Field(() => Int)
  qualifiedCount!: number;

  @Field(() => DecimalScalar)
  supplyKwh!: string;

  @Field(() => DecimalScalar)
  customersKwh!: string;

  @Field(() => DecimalScalar)
  lossKwh!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Percent, rounded half up to 2 decimals.' })
  lossRate!: string | null;
}

@InputType()
export class SetLineLossBandInput {
  @Field(() => ID, { description: 'A transformer area.' })
  orgUnitId!: string;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Percent, 0 to 100, 2 decimals at most. Both ends, or neither for the default band.',
  })
  min?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Percent, at least min, at most 100.' })
  max?: string | null;
}

@ObjectType()
export class SetLineLossBandPayload {
  @Field(() => OrgUnitType)
  orgUnit!: OrgUnitType;

  @Field(() => LineLossBandType)
  band!: LineLossBandType;
}
