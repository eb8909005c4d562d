import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Role } from '../../orm/entities/enums.js';
import { DecimalScalar, LocalDateScalar } from '../common/index.js';
import { LineLossBandType, LineLossStatus } from '../line-loss/index.js';

@ObjectType('KpiRate', {
  description: 'A share with its working: numerator / denominator as a percentage (docs/kpis.md).',
})
export class KpiRateType {
  @Field(() => Int, { description: 'What counted (e.g. orders submitted on time).' })
  numerator!: number;

  @Field(() => Int, { description: 'What could have (e.g. orders due).' })
  denominator!: number;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Percent, rounded half up to 2 decimals ("66.67"); null when the denominator is 0.',
  })
  rate?: string | null;
}

@ObjectType('KpiHazards', { description: 'Hazard reports made in the period (paper 3.3: rewarded with points).' })
export class KpiHazardsType {
  @Field(() => Int, { description: 'Reports made, whatever became of them.' })
  reported!: number;

  @Field(() => Int, { description: 'Of those, verified by a manager.' })
  verified!: number;

  @Field(() => Int, { description: 'Points of the verified reports.' })
  points!: number;
}

@ObjectType('KpiTraining', { description: 'Training records with a completion day in the period (paper 3.8).' })
export class KpiTrainingType {
  @Field(() => Int, { description: 'Courses PASSED or ATTENDED.' })
  completed!: number;

  @Field(() => Int, { description: 'Courses FAILED.' })
  failed!: number;

  @Field(() => DecimalScalar, { description: 'Hours of the completed courses.' })
  hours!: string;
}

@ObjectType('KpiFigures', { description: "A unit's or a person's KPIs over the period (docs/kpis.md)." })
export class KpiFiguresType {
  @Field(() => KpiRateType, {
    nullable: true,
    description:
      'Meter-days with a collected daily frozen reading / meter-days of installed meters under automatic collection. Station level: null for a person.',
  })
  collectionSuccess?: KpiRateType | null;

  @Field(() => KpiRateType, {
    nullable: true,
    description:
      'Installed meters under automatic collection / installed meters, at the end of the period. Station level.',
  })
  coverage?: KpiRateType | null;

  @Field(() => KpiRateType, {
    nullable: true,
    description:
      'Transformer areas whose loss rate is within their band / areas whose loss could be computed (as lineLoss computes it). Station level.',
  })
  lineLossQualification?: KpiRateType | null;

  @Field(() => KpiRateType, {
    description:
      'Work orders due in the period submitted by their due time / orders due (cancelled ones left out). A person: the orders assigned to them.',
  })
  workOrderTimeliness!: KpiRateType;

  @Field(() => KpiRateType, {
    description:
      "Alarms of the unit's meters raised in the period, closed or cleared by its end / alarms raised. A person: their ALARM_FOLLOW_UP orders due in the period, approved by its end / those orders.",
  })
  abnormalityClosure!: KpiRateType;

  @Field(() => KpiRateType, {
    description:
      'Periodic check-reading stops visited in the period whose field value is within the tolerance of the automatic value / such stops with a difference. A person: the stops they visited.',
  })
  checkReadingAccuracy!: KpiRateType;

  @Field(() => KpiHazardsType)
  hazards!: KpiHazardsType;

  @Field(() => KpiTrainingType)
  training!: KpiTrainingType;

  @Field(() => Int, {
    nullable: true,
    description: 'Installed meters whose periodic verification fell due before the end of the period. Station level.',
  })
  metersOverdueVerification?: number | null;
}

@ObjectType('KpiPerson', { description: 'A member of the field staff of the unit, with their KPIs.' })
export class KpiPersonType {
  @Field(() => ID)
  userId!: string;

  @Field()
  username!: string;

  @Field()
  displayName!: string;

  @Field(() => Role)
  role!: Role;

  @Field({ description: 'Whether the account is active (a deactivated one keeps its figures).' })
  active!: boolean;

  @Field(() => KpiFiguresType)
  figures!: KpiFiguresType;
}

@ObjectType('KpiLineLossArea', { description: "A transformer area's line loss behind the qualification rate." })
export class KpiLineLossAreaType {
  @Field(() => LineLossStatus)
  status!: LineLossStatus;

  @Field(() => DecimalScalar, { nullable: true, description: 'Percent; null when it cannot be computed.' })
  lossRate?: string | null;

  @Field(() => LineLossBandType)
  band!: LineLossBandType;

  @Field()
  qualified!: boolean;
}

@ObjectType('KpiReport', {
  description:
    'Assessment (paper 3.3, 3.8): the KPIs of a unit and of its field staff over local days. Printable: GET /reports/kpis.pdf (and .csv) with the same parameters.',
})
export class KpiReportType {
  @Field(() => LocalDateScalar)
  from!: string;

  @Field(() => LocalDateScalar, { description: 'Exclusive: the first day after the period.' })
  to!: string;

  @Field({ description: "The unit's time zone, in which the days are counted." })
  timeZone!: string;

  @Field(() => Date)
  generatedAt!: Date;

  @Field(() => DecimalScalar, { description: 'kWh: a check reading within it of the automatic value is accurate.' })
  checkReadingToleranceKwh!: string;

  @Field(() => KpiFiguresType, {
    nullable: true,
    description: "The unit's figures; null for a caller who may read only their own row.",
  })
  unit?: KpiFiguresType | null;

  @Field(() => [KpiLineLossAreaType], {
    nullable: true,
    description: 'The transformer areas of the subtree with their loss, with the unit figures.',
  })
  lineLossAreas?: KpiLineLossAreaType[] | null;

  @Field(() => [KpiPersonType], {
    nullable: true,
    description:
      'With people: true, one row per METER_READER, INSPECTOR and STATION_MANAGER of the subtree the caller may assess (field staff: themselves), by username.',
  })
  people?: KpiPersonType[] | null;
}

@InputType()
export class KpiInput {
  @Field(() => ID, { description: 'A station, a bureau or a transformer area: its whole subtree counts.' })
  orgUnitId!: string;

  @Field(() => LocalDateScalar, { description: "First day, in the unit's time zone." })
  from!: string;

  @Field(() => LocalDateScalar, {
    description:
      'Exclusive: the first day after the period (a month: 2026-10-01 to 2026-11-01). At most 366 days after from.',
  })
  to!: string;

  @Field(() => Boolean, { defaultValue: false, description: 'Also one row per member of the field staff.' })
  people!: boolean;
}
