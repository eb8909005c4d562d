import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BillLineKind, BillStatus, SettlementRunStatus } from '../../orm/entities/enums.js';
import { ConnectionType, DecimalScalar, LocalDateScalar, NodeInterface } from '../common/index.js';
import { TouBand } from '../consumption/index.js';

registerEnumType(SettlementRunStatus, {
  name: 'SettlementRunStatus',
  description: 'RUNNING, then COMPLETED (failures listed) or INTERRUPTED by a server stop (run it again).',
});
registerEnumType(BillStatus, {
  name: 'BillStatus',
  description:
    'DRAFT (recomputed when its readings change) -> APPROVED -> ISSUED; issuing a later version SUPERSEDES the earlier.',
});
registerEnumType(BillLineKind, {
  name: 'BillLineKind',
  description:
    'ENERGY: kWh of a band (or flat) x its price; TIER: kWh in tier 2+ x the tier adder; FIXED: a charge per cycle (prorated by days when the tariff changes inside it); SURCHARGE: all kWh x a rate.',
});

@ObjectType('SettlementFailure', { description: 'A customer a run could not bill, and why.' })
export class SettlementFailureType {
  @Field(() => ID)
  customerId!: string;

  @Field()
  accountNo!: string;

  @Field({
    description:
      'MISSING_VALUE, REGISTER_DECREASE, BANDS_EXCEED_TOTAL, CYCLE_OPEN, NO_TARIFF, NO_SERVICE_POINT, TARIFF.',
  })
  code!: string;

  @Field()
  reason!: string;
}

@ObjectType('SettlementRun', {
  implements: NodeInterface,
  description: "One month's settlement of the customers under an org unit.",
})
export class SettlementRunType extends NodeInterface {
  @Field({ description: 'YYYY-MM: the month in which the billing cycles close.' })
  period!: string;

  @Field(() => SettlementRunStatus)
  status!: SettlementRunStatus;

  @Field(() => Date)
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  finishedAt?: Date;

  @Field(() => Int)
  customerCount!: number;

  @Field(() => Int)
  processedCount!: number;

  @Field(() => Int, { description: 'Bills drafted: new ones, redrafted drafts and new versions.' })
  billedCount!: number;

  @Field(() => Int, { description: 'Approved or issued bills whose energy and amount did not change.' })
  unchangedCount!: number;

  @Field(() => Int)
  failedCount!: number;

  @Field(() => [SettlementFailureType])
  failures!: SettlementFailureType[];

  @Field(() => DecimalScalar, {
    description: 'CNY: the sum of the totals of the bills this run drafted or found unchanged.',
  })
  totalAmount!: string;

  @Field(() => DecimalScalar)
  totalKwh!: string;
}

export const SettlementRunConnection = ConnectionType(SettlementRunType, 'SettlementRun');

@ObjectType('BillLine')
export class BillLineType {
  @Field(() => Int)
  position!: number;

  @Field(() => BillLineKind)
  kind!: BillLineKind;

  @Field()
  description!: string;

  @Field(() => TouBand, { nullable: true })
  band?: TouBand;

  @Field(() => Int, { nullable: true })
  tier?: number;

  @Field(() => DecimalScalar, { description: 'kWh (ENERGY, TIER, SURCHARGE) or days (FIXED).' })
  quantity!: string;

  @Field(() => DecimalScalar, { description: 'CNY per kWh, or per cycle for FIXED.' })
  unitPrice!: string;

  @Field(() => DecimalScalar, { description: 'CNY, rounded once, half up, to the fen.' })
  amount!: string;

  @Field(() => LocalDateScalar)
  periodStart!: string;

  @Field(() => LocalDateScalar, { description: 'Exclusive.' })
  periodEnd!: string;

  @Field(() => LocalDateScalar, { description: 'The tariff version the price comes from.' })
  tariffEffectiveFrom!: string;
}

@ObjectType('BillRegisterValue')
export class BillRegisterValueType {
  @Field(() => Date)
  at!: Date;

  @Field(() => DecimalScalar)
  value!: string;

  @Field({ description: 'READING, INSTALLATION or REMOVAL.' })
  from!: string;

  @Field()
  estimated!: boolean;
}

@ObjectType('BillDeterminant', { description: "A meter's start and end values behind a bill's energy." })
export class BillDeterminantType {
  @Field(() => ID)
  servicePointId!: string;

  @Field(() => ID)
  meterId!: string;

  @Field(() => LocalDateScalar)
  segmentStart!: string;

  @Field(() => LocalDateScalar)
  segmentEnd!: string;

  @Field(() => DecimalScalar)
  multiplier!: string;

  @Field(() => BillRegisterValueType)
  start!: BillRegisterValueType;

  @Field(() => BillRegisterValueType)
  end!: BillRegisterValueType;

  @Field()
  rolledOver!: boolean;

  @Field(() => DecimalScalar)
  kwh!: string;
}

@ObjectType('Bill', { implements: NodeInterface, description: "A customer's bill (电费) for one billing cycle." })
export class BillType extends NodeInterface {
  @Field()
  period!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => BillStatus)
  status!: BillStatus;

  @Field(() => LocalDateScalar)
  cycleStart!: string;

  @Field(() => LocalDateScalar, { description: 'Exclusive: the next cycle starts on it.' })
  cycleEnd!: string;

  @Field()
  tariffCode!: string;

  @Field(() => DecimalScalar)
  totalKwh!: string;

  @Field(() => DecimalScalar, { description: 'CNY: the exact sum of the lines.' })
  totalAmount!: string;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: "This version's total less the previous version's (CNY); null on version 1.",
  })
  difference?: string;

  @Field({ nullable: true, description: 'Why this version exists.' })
  reason?: string;

  @Field({ description: 'Some register value behind the bill was estimated.' })
  estimated!: boolean;

  @Field(() => DecimalScalar, { description: 'ANNUAL tiers: kWh counted in the tier year before this cycle.' })
  tierUsedBefore!: string;

  @Field(() => DecimalScalar, { description: 'ANNUAL tiers: kWh counted in the tier year at the end of this cycle.' })
  tierUsedAfter!: string;

  @Field(() => [String])
  notes!: string[];

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  approvedAt?: Date;

  @Field(() => Date, { nullable: true })
  issuedAt?: Date;
}

export const BillConnection = ConnectionType(BillType, 'Bill');

@InputType()
export class SettlementFilter {
  @Field(() => ID, { nullable: true, description: 'Runs of this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field({ nullable: true, description: 'YYYY-MM' })
  period?: string;

  @Field(() => [SettlementRunStatus], { nullable: true })
  statuses?: SettlementRunStatus[];
}

@InputType()
export class BillFilter {
  @Field(() => ID, { nullable: true, description: 'Bills of customers of this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field({ nullable: true, description: 'YYYY-MM' })
  period?: string;

  @Field(() => ID, { nullable: true })
  customerId?: string;

  @Field(() => ID, { nullable: true, description: 'Bills drafted or last recomputed by this run.' })
  runId?: string;

  @Field(() => [BillStatus], { nullable: true })
  statuses?: BillStatus[];
}

@InputType()
export class RunSettlementInput {
  @Field(() => ID, { description: 'A bureau, station or transformer area: its customers are settled.' })
  orgUnitId!: string;

  @Field({ description: 'YYYY-MM: the month in which the billing cycles close.' })
  period!: string;
}

@ObjectType()
export class SettlementRunPayload {
  @Field(() => SettlementRunType)
  run!: SettlementRunType;
}

@InputType()
export class BillsInput {
  @Field(() => [ID])
  billIds!: string[];
}

@ObjectType()
export class BillsPayload {
  @Field(() => [BillType])
  bills!: BillType[];
}

@ObjectType('SettlementProgress')
export class SettlementProgressType {
  @Field(() => ID)
  runId!: string;

  @Field(() => SettlementRunStatus)
  status!: SettlementRunStatus;

  @Field(() => Int)
  customers!: number;

  @Field(() => Int)
  processed!: number;

  @Field(() => Int)
  billed!: number;

  @Field(() => Int)
  unchanged!: number;

  @Field(() => Int)
  failed!: number;
}
