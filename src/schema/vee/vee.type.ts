import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CustomerCategory, EstimationMethod, ReadingQuality, ReadingSource } from '../../orm/entities/enums.js';
import { VEE_RULES, type VeeRuleName } from '../../shared/reading-flags.js';
import { ConnectionType, DecimalScalar, LocalDateScalar, NodeInterface } from '../common/index.js';
import { ReadingType } from '../reading/index.js';

/** The catalogue of rules as a GraphQL enum (the names of src/shared/reading-flags.ts). */
export const VeeRule = Object.fromEntries(VEE_RULES.map((r) => [r, r])) as { [K in VeeRuleName]: K };
registerEnumType(VeeRule, {
  name: 'VeeRule',
  description:
    'Validation rules. ROLLOVER is informational (the register passed its width); IMPLAUSIBLE_JUMP is set by ingestion.',
});

@ObjectType('VeeParameters', { description: 'Parameters of the VEE rules and of estimation.' })
export class VeeParamsType {
  @Field(() => DecimalScalar, { description: 'SPIKE: consumption above this many times the median of the history.' })
  spikeFactor!: string;

  @Field(() => DecimalScalar, { description: 'SPIKE: and above this many kWh (primary, with the multiplier).' })
  spikeMinKwh!: string;

  @Field(() => Int, { description: 'SPIKE: days of history for the median.' })
  historyDays!: number;

  @Field(() => Int, { description: 'ZERO_CONSUMPTION: consecutive days without consumption.' })
  zeroDays!: number;

  @Field(() => DecimalScalar, { description: 'TOU_SUM_MISMATCH: allowed |T1+T2+T3+T4 - total| in register kWh.' })
  touTolerance!: string;

  @Field(() => Int, { description: 'CLOCK: allowed seconds between a daily value and its local midnight.' })
  clockToleranceSeconds!: number;

  @Field(() => DecimalScalar, { description: 'DEMAND_OVER_CAPACITY: K in max demand > contracted capacity x K.' })
  demandFactor!: string;

  @Field(() => Int, { description: 'Estimation: gaps of at most this many days are interpolated linearly.' })
  interpolateMaxDays!: number;

  @Field(() => Int, {
    description: 'Estimation: a missing day without a pending re-collection is estimated once this many days old.',
  })
  estimateAfterDays!: number;
}

@InputType({ description: 'Parameters to set; those left out take the defaults.' })
export class VeeParamsInput {
  @Field(() => DecimalScalar, { nullable: true })
  spikeFactor?: string;

  @Field(() => DecimalScalar, { nullable: true })
  spikeMinKwh?: string;

  @Field(() => Int, { nullable: true })
  historyDays?: number;

  @Field(() => Int, { nullable: true })
  zeroDays?: number;

  @Field(() => DecimalScalar, { nullable: true })
  touTolerance?: string;

  @Field(() => Int, { nullable: true })
  clockToleranceSeconds?: number;

  @Field(() => DecimalScalar, { nullable: true })
  demandFactor?: string;

  @Field(() => Int, { nullable: true })
  interpolateMaxDays?: number;

  @Field(() => Int, { nullable: true })
  estimateAfterDays?: number;
}

@ObjectType('VeeRuleSet', {
  implements: NodeInterface,
  description:
    "VEE rules for the meters under a unit (optionally only those of one customer category). A meter follows the most specific set: the deepest unit, then the customer's category over any category.",
})
export class VeeRuleSetType extends NodeInterface {
  @Field()
  name!: string;

  @Field(() => CustomerCategory, { nullable: true })
  customerCategory?: CustomerCategory;

  @Field(() => [VeeRule])
  enabledRules!: VeeRuleName[];

  @Field(() => Date)
  updatedAt!: Date;
}

export const VeeRuleSetConnection = ConnectionType(VeeRuleSetType, 'VeeRuleSet');

@InputType()
export class VeeRuleSetFilter {
  @Field(() => ID, { nullable: true, description: 'Sets of this unit or of a unit below it.' })
  orgUnitSubtree?: string;
}

@InputType()
export class SetVeeRuleSetInput {
  @Field(() => ID, { nullable: true, description: 'The set to change; omit to create one.' })
  id?: string;

  @Field()
  name!: string;

  @Field(() => ID, { description: 'The set applies to the meters under this unit.' })
  orgUnitId!: string;

  @Field(() => CustomerCategory, { nullable: true, description: 'Only meters measuring customers of this category.' })
  customerCategory?: CustomerCategory;

  @Field(() => VeeParamsInput, { nullable: true })
  params?: VeeParamsInput;

  @Field(() => [VeeRule], { description: 'The rules applied; the others are skipped for these meters.' })
  enabledRules!: VeeRuleName[];
}

@ObjectType()
export class VeeRuleSetPayload {
  @Field(() => VeeRuleSetType)
  veeRuleSet!: VeeRuleSetType;
}

@InputType()
export class DeleteVeeRuleSetInput {
  @Field(() => ID)
  id!: string;
}

@ObjectType()
export class DeleteVeeRuleSetPayload {
  @Field(() => ID)
  deletedId!: string;
}

@ObjectType('EffectiveVeeParameters', { description: 'What VEE applies to one meter.' })
export class EffectiveVeeParamsType {
  @Field(() => VeeRuleSetType, {
    nullable: true,
    description: 'The rule set that applies, when there is one and the caller may read it.',
  })
  ruleSet?: unknown;

  @Field(() => VeeParamsType)
  params!: VeeParamsType;

  @Field(() => [VeeRule])
  enabledRules!: VeeRuleName[];
}

@InputType({ description: 'The daily values (local midnights) of the dates from..to, both included.' })
export class VeeRangeInput {
  @Field(() => ID, { description: 'Meters under this unit.' })
  orgUnitId!: string;

  @Field(() => LocalDateScalar)
  from!: string;

  @Field(() => LocalDateScalar)
  to!: string;
}

@ObjectType('VeeRuleCount')
export class VeeRuleCountType {
  @Field(() => VeeRule)
  rule!: VeeRuleName;

  @Field(() => Int, { description: 'Readings of the range that fail the rule.' })
  count!: number;
}

@ObjectType()
export class ValidateReadingsPayload {
  @Field(() => Int, { description: 'Meters validated.' })
  meters!: number;

  @Field(() => Int, { description: 'Daily values of the range that were checked.' })
  checked!: number;

  @Field(() => Int, { description: 'Readings whose flags or quality changed.' })
  changed!: number;

  @Field(() => [VeeRuleCountType], { description: 'Every rule, with the readings failing it.' })
  counts!: VeeRuleCountType[];

  @Field(() => Int)
  suspectCount!: number;

  @Field(() => [ReadingType], { description: 'The first suspect or bad readings, by time.' })
  suspectReadings!: unknown[];
}

@ObjectType('EstimationMethodCount')
export class EstimationMethodCountType {
  @Field(() => EstimationMethod)
  method!: EstimationMethod;

  @Field(() => Int, { description: 'Daily values (midnights) estimated with the method.' })
  count!: number;
}

@ObjectType()
export class EstimateReadingsPayload {
  @Field(() => Int, { description: 'Estimated readings written (totals and bands).' })
  estimated!: number;

  @Field(() => [EstimationMethodCountType])
  methods!: EstimationMethodCountType[];

  @Field(() => Int, { description: 'Missing days left as they are: no failed re-collection, or no basis.' })
  skipped!: number;

  @Field(() => [ReadingType], { description: 'The first estimated readings, by time.' })
  readings!: unknown[];
}

@InputType()
export class EditReadingInput {
  @Field(() => ID)
  readingId!: string;

  @Field(() => DecimalScalar)
  value!: string;

  @Field({ description: 'Why the value is changed (required).' })
  reason!: string;
}

@ObjectType('ReadingVersion', {
  description: 'An earlier value of a reading, with why, when and by whom it was replaced.',
})
export class ReadingVersionType {
  @Field(() => Int, { description: '1 is the first value the reading had.' })
  version!: number;

  @Field(() => DecimalScalar)
  value!: string;

  @Field(() => ReadingSource)
  source!: ReadingSource;

  @Field(() => ReadingQuality)
  quality!: ReadingQuality;

  @Field(() => EstimationMethod, { nullable: true })
  method?: EstimationMethod;

  @Field()
  reason!: string;

  @Field(() => Date)
  changedAt!: Date;
}
