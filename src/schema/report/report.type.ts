import { Field, Int, ObjectType } from 'type-graphql';
import { BillLineKind, BillStatus, CustomerCategory } from '../../orm/entities/enums.js';
import { DecimalScalar } from '../common/index.js';
import { LineLossAreaType } from '../line-loss/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { SettlementFailureType, SettlementRunType } from '../settlement/index.js';

@ObjectType('SettlementTotals', { description: 'Sums of the bills that count (see SettlementReport).' })
export class SettlementTotalsType {
  @Field(() => Int)
  customers!: number;

  @Field(() => Int)
  bills!: number;

  @Field(() => DecimalScalar, { description: 'kWh, exact.' })
  kwh!: string;

  @Field(() => DecimalScalar, { description: 'CNY: the exact sum of the bills’ totals.' })
  amount!: string;
}

@ObjectType('SettlementCategoryTotals')
export class SettlementCategoryTotalsType extends SettlementTotalsType {
  @Field(() => CustomerCategory)
  category!: CustomerCategory;
}

@ObjectType('SettlementTierTotals')
export class SettlementTierTotalsType {
  @Field(() => Int, { description: 'Tier 1 is the energy no TIER line priced (the base price).' })
  tier!: number;

  @Field(() => DecimalScalar)
  kwh!: string;

  @Field(() => DecimalScalar, { description: 'CNY of the TIER lines (the adders) of this tier.' })
  amount!: string;
}

@ObjectType('SettlementBandTotals')
export class SettlementBandTotalsType {
  @Field({ description: 'T1..T4 (critical peak, peak, flat, valley), or FLAT for flat-priced energy.' })
  band!: string;

  @Field(() => DecimalScalar)
  kwh!: string;

  @Field(() => DecimalScalar, { description: 'CNY of the ENERGY lines of this band.' })
  amount!: string;
}

@ObjectType('SettlementLineKindTotals')
export class SettlementLineKindTotalsType {
  @Field(() => BillLineKind)
  kind!: BillLineKind;

  @Field(() => DecimalScalar, { description: 'kWh, or days for FIXED.' })
  quantity!: string;

  @Field(() => DecimalScalar)
  amount!: string;
}

@ObjectType('BillStatusCount')
export class BillStatusCountType {
  @Field(() => BillStatus)
  status!: BillStatus;

  @Field(() => Int)
  count!: number;
}

@ObjectType('SettlementStationTotals')
export class SettlementStationTotalsType extends SettlementTotalsType {
  @Field(() => OrgUnitType, { nullable: true, description: 'Null for customers under no supply station.' })
  station!: OrgUnitType | null;
}

@ObjectType('SettlementAreaTotals')
export class SettlementAreaTotalsType extends SettlementTotalsType {
  @Field(() => OrgUnitType, {
    nullable: true,
    description: "The transformer area of the meter on the customers' service points; null when none is known.",
  })
  area!: OrgUnitType | null;

  @Field(() => LineLossAreaType, {
    nullable: true,
    description:
      "The area's line loss over the calendar month of the period; null without an area, or when the caller may not read the area's readings.",
  })
  lineLoss!: LineLossAreaType | null;
}

@ObjectType('SettlementReport', {
  description:
    "The settlement report (结算报表) of an org unit's customers for one month. A customer counts with the CURRENT version of its bill for the period: the latest version that is not SUPERSEDED, whatever its status (DRAFT, APPROVED or ISSUED; a drafted re-bill counts over the issued version it will replace). `statusCounts` counts every version of the period, SUPERSEDED included.",
})
export class SettlementReportType {
  @Field(() => OrgUnitType)
  orgUnit!: OrgUnitType;

  @Field({ description: 'YYYY-MM: the month in which the billing cycles close.' })
  period!: string;

  @Field(() => Date)
  generatedAt!: Date;

  @Field(() => SettlementTotalsType)
  totals!: SettlementTotalsType;

  @Field(() => [BillStatusCountType], { description: 'Versions of the period by status, all four listed.' })
  statusCounts!: BillStatusCountType[];

  @Field(() => [SettlementCategoryTotalsType])
  byCategory!: SettlementCategoryTotalsType[];

  @Field(() => [SettlementTierTotalsType])
  byTier!: SettlementTierTotalsType[];

  @Field(() => [SettlementBandTotalsType])
  byBand!: SettlementBandTotalsType[];

  @Field(() => [SettlementLineKindTotalsType])
  byLineKind!: SettlementLineKindTotalsType[];

  @Field(() => [SettlementStationTotalsType])
  stations!: SettlementStationTotalsType[];

  @Field(() => [SettlementAreaTotalsType])
  areas!: SettlementAreaTotalsType[];

  @Field(() => SettlementRunType, {
    nullable: true,
    description: 'The latest settlement run of this unit and period, if the caller may read it.',
  })
  latestRun!: SettlementRunType | null;

  @Field(() => [SettlementFailureType], { description: 'Customers the latest run could not bill, and why.' })
  failures!: SettlementFailureType[];
}

@ObjectType('BillingPeriodStatistics', { description: "One month's billing, from the bills that count." })
export class BillingPeriodStatisticsType extends SettlementTotalsType {
  @Field()
  period!: string;

  @Field(() => [SettlementCategoryTotalsType])
  byCategory!: SettlementCategoryTotalsType[];

  @Field(() => [BillStatusCountType], { description: 'Versions of the period by status, all four listed.' })
  statusCounts!: BillStatusCountType[];

  @Field(() => Int, {
    description: 'Customers the latest run of each unit for the period could not bill (summed over the units).',
  })
  failedCount!: number;
}
