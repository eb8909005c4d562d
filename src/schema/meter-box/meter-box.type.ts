import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType, DecimalScalar, NodeInterface, OrderDirection } from '../common/index.js';

@ObjectType('MeterBox', { implements: NodeInterface, description: 'A box on a wall or pole holding meters (表箱).' })
export class MeterBoxType extends NodeInterface {
  @Field()
  barcode!: string;

  @Field()
  address!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'WGS-84 latitude in degrees.' })
  latitude?: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'WGS-84 longitude in degrees.' })
  longitude?: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

export const MeterBoxConnection = ConnectionType(MeterBoxType, 'MeterBox');

export enum MeterBoxOrderField {
  BARCODE = 'barcode',
  ADDRESS = 'address',
  CREATED_AT = 'createdAt',
}
registerEnumType(MeterBoxOrderField, { name: 'MeterBoxOrderField' });

@InputType()
export class MeterBoxOrder {
  @Field(() => MeterBoxOrderField)
  field!: MeterBoxOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC })
  direction!: OrderDirection;
}

@InputType()
export class MeterBoxFilter {
  @Field(() => ID, { nullable: true, description: 'Boxes of this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field({ nullable: true, description: 'Prefix of the barcode, or part of the address.' })
  search?: string;
}

@InputType()
export class CreateMeterBoxInput {
  @Field()
  barcode!: string;

  @Field()
  address!: string;

  @Field(() => DecimalScalar, { nullable: true })
  latitude?: string;

  @Field(() => DecimalScalar, { nullable: true })
  longitude?: string;

  @Field(() => ID, { description: 'The transformer area that feeds the box.' })
  orgUnitId!: string;
}

@InputType()
export class UpdateMeterBoxInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true })
  address?: string;

  @Field(() => DecimalScalar, { nullable: true })
  latitude?: string;

  @Field(() => DecimalScalar, { nullable: true })
  longitude?: string;

  @Field(() => ID, { nullable: true })
  orgUnitId?: string;
}

@ObjectType()
export class MeterBoxPayload {
  @Field(() => MeterBoxType)
  meterBox!: MeterBoxType;
}
