import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { ConnectionType, DecimalScalar, NodeInterface } from '../common/index.js';
import { MeterType } from '../meter/index.js';

@ObjectType('ServicePoint', { implements: NodeInterface, description: 'Where a customer is metered (计量点).' })
export class ServicePointType extends NodeInterface {
  @Field()
  code!: string;

  @Field(() => Date)
  createdAt!: Date;
}

export const ServicePointConnection = ConnectionType(ServicePointType, 'ServicePoint');

@ObjectType('MeterAssignment', {
  description: 'One meter on one service point for a period, with its first and last register values.',
})
export class MeterAssignmentType {
  @Field(() => Date)
  installedAt!: Date;

  @Field(() => DecimalScalar)
  initialReading!: string;

  @Field(() => Date, { nullable: true })
  removedAt?: Date;

  @Field(() => DecimalScalar, { nullable: true })
  finalReading?: string;

  @Field({ nullable: true })
  reason?: string;
}

@InputType()
export class CreateServicePointInput {
  @Field()
  code!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => ID, { nullable: true })
  meterBoxId?: string;
}

@InputType()
export class InstallMeterInput {
  @Field(() => ID)
  meterId!: string;

  @Field(() => ID)
  servicePointId!: string;

  @Field(() => Date)
  installedAt!: Date;

  @Field(() => DecimalScalar, { description: 'Register value when installed.' })
  initialReading!: string;

  @Field(() => ID, { nullable: true, description: "The box the meter goes into; default: the service point's box." })
  meterBoxId?: string;
}

@InputType()
export class RemoveMeterInput {
  @Field(() => ID)
  meterId!: string;

  @Field(() => Date)
  removedAt!: Date;

  @Field(() => DecimalScalar, { description: 'Register value when removed.' })
  finalReading!: string;

  @Field({ nullable: true })
  reason?: string;
}

@InputType()
export class ExchangeMeterInput {
  @Field(() => ID)
  servicePointId!: string;

  @Field(() => ID)
  newMeterId!: string;

  @Field(() => Date)
  exchangedAt!: Date;

  @Field(() => DecimalScalar, { description: "The old meter's final register value." })
  oldFinalReading!: string;

  @Field(() => DecimalScalar, { description: "The new meter's initial register value." })
  newInitialReading!: string;

  @Field({ nullable: true })
  reason?: string;
}

@ObjectType()
export class ServicePointPayload {
  @Field(() => ServicePointType)
  servicePoint!: ServicePointType;
}

@ObjectType()
export class MeterInstallationPayload {
  @Field(() => MeterType)
  meter!: MeterType;

  @Field(() => MeterAssignmentType)
  assignment!: MeterAssignmentType;
}

@ObjectType()
export class MeterExchangePayload {
  @Field(() => MeterType)
  oldMeter!: MeterType;

  @Field(() => MeterType)
  newMeter!: MeterType;

  @Field(() => MeterAssignmentType)
  closedAssignment!: MeterAssignmentType;

  @Field(() => MeterAssignmentType)
  openedAssignment!: MeterAssignmentType;
}
