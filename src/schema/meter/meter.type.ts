import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MeterProtocol, MeterStatus } from '../../orm/entities/enums.js';
import { ConnectionType, DecimalScalar, LocalDateScalar, NodeInterface, OrderDirection } from '../common/index.js';

registerEnumType(MeterStatus, {
  name: 'MeterStatus',
  description: 'Lifecycle: IN_STOCK -> INSTALLED -> REMOVED -> SCRAPPED.',
});
registerEnumType(MeterProtocol, { name: 'MeterProtocol' });

@ObjectType('Meter', { implements: NodeInterface, description: 'An electricity meter (电能表).' })
export class MeterType extends NodeInterface {
  @Field()
  assetNo!: string;

  @Field()
  barcode!: string;

  @Field({ description: 'Communication address, 12 digits for DL/T 645.' })
  commAddress!: string;

  @Field(() => MeterProtocol)
  protocol!: MeterProtocol;

  @Field()
  manufacturer!: string;

  @Field()
  model!: string;

  @Field(() => DecimalScalar)
  ctRatio!: string;

  @Field(() => DecimalScalar)
  ptRatio!: string;

  @Field(() => Int)
  registerDigits!: number;

  @Field(() => Int)
  registerDecimals!: number;

  @Field()
  accuracyClass!: string;

  @Field(() => MeterStatus)
  status!: MeterStatus;

  @Field(() => Date, { nullable: true })
  installedAt?: Date;

  @Field(() => Date, { nullable: true })
  removedAt?: Date;

  @Field(() => Date, { nullable: true })
  scrappedAt?: Date;

  @Field(() => LocalDateScalar, { nullable: true })
  nextVerificationDate?: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

export const MeterConnection = ConnectionType(MeterType, 'Meter');

export enum MeterOrderField {
  ASSET_NO = 'assetNo',
  BARCODE = 'barcode',
  CREATED_AT = 'createdAt',
}
registerEnumType(MeterOrderField, { name: 'MeterOrderField' });

@InputType()
export class MeterOrder {
  @Field(() => MeterOrderField)
  field!: MeterOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC })
  direction!: OrderDirection;
}

@InputType()
export class MeterFilter {
  @Field(() => [MeterStatus], { nullable: true })
  statuses?: MeterStatus[];

  @Field(() => [MeterProtocol], { nullable: true })
  protocols?: MeterProtocol[];

  @Field(() => ID, { nullable: true, description: 'Meters owned by this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field(() => ID, { nullable: true })
  meterBoxId?: string;

  @Field({ nullable: true, description: 'Prefix of asset number, barcode or communication address.' })
  search?: string;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Periodic verification due on or before this date.' })
  verificationDueBy?: string;
}

@InputType()
export class CreateMeterInput {
  @Field()
  assetNo!: string;

  @Field()
  barcode!: string;

  @Field()
  commAddress!: string;

  @Field(() => MeterProtocol)
  protocol!: MeterProtocol;

  @Field()
  manufacturer!: string;

  @Field()
  model!: string;

  @Field(() => DecimalScalar, { nullable: true, defaultValue: '1' })
  ctRatio?: string;

  @Field(() => DecimalScalar, { nullable: true, defaultValue: '1' })
  ptRatio?: string;

  @Field(() => Int, { nullable: true, defaultValue: 6 })
  registerDigits?: number;

  @Field(() => Int, { nullable: true, defaultValue: 2 })
  registerDecimals?: number;

  @Field()
  accuracyClass!: string;

  @Field(() => LocalDateScalar, { nullable: true })
  nextVerificationDate?: string;

  @Field(() => ID, { description: 'The unit that stocks the meter (or the transformer area it will serve).' })
  orgUnitId!: string;
}

@InputType()
export class UpdateMeterInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true })
  commAddress?: string;

  @Field(() => MeterProtocol, { nullable: true })
  protocol?: MeterProtocol;

  @Field({ nullable: true })
  manufacturer?: string;

  @Field({ nullable: true })
  model?: string;

  @Field(() => DecimalScalar, { nullable: true })
  ctRatio?: string;

  @Field(() => DecimalScalar, { nullable: true })
  ptRatio?: string;

  @Field({ nullable: true })
  accuracyClass?: string;

  @Field(() => LocalDateScalar, { nullable: true })
  nextVerificationDate?: string;

  @Field(() => ID, { nullable: true, description: 'Only for meters not installed.' })
  orgUnitId?: string;
}

@InputType()
export class ScrapMeterInput {
  @Field(() => ID)
  meterId!: string;

  @Field(() => Date, { nullable: true })
  scrappedAt?: Date;
}

@ObjectType()
export class MeterPayload {
  @Field(() => MeterType)
  meter!: MeterType;
}
