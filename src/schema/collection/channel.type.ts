import { JSONObjectResolver } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CollectionStatus, RegisterCode } from '../../orm/entities/enums.js';
import { ConnectionType, DecimalScalar, NodeInterface } from '../common/index.js';

registerEnumType(CollectionStatus, {
  name: 'CollectionStatus',
  description: 'OK, or why collection cannot use these settings (they are kept and shown, never a crash).',
});

@ObjectType('Channel', {
  implements: NodeInterface,
  description: 'A way to reach meters: gateway, serial line, broker, concentrator.',
})
export class ChannelType extends NodeInterface {
  @Field()
  name!: string;

  @Field({ description: 'The collector plugin id, e.g. dlt645-2007-tcp.' })
  pluginId!: string;

  @Field(() => JSONObjectResolver, { description: "Device settings shared by the channel's meters (plugin's schema)." })
  settings!: Record<string, unknown>;

  @Field()
  enabled!: boolean;

  @Field(() => CollectionStatus)
  status!: CollectionStatus;

  @Field({ nullable: true })
  statusDetail?: string;
}

export const ChannelConnection = ConnectionType(ChannelType, 'Channel');

@ObjectType('CollectionPoint')
export class CollectionPointType {
  @Field(() => RegisterCode)
  register!: RegisterCode;

  @Field(() => JSONObjectResolver)
  settings!: Record<string, unknown>;
}

@ObjectType('MeterCollection', { description: 'A meter under automatic collection.' })
export class MeterCollectionType {
  @Field(() => JSONObjectResolver, { description: "The meter's own device settings, over the channel's." })
  settings!: Record<string, unknown>;

  @Field(() => [CollectionPointType])
  points!: CollectionPointType[];

  @Field(() => CollectionStatus)
  status!: CollectionStatus;

  @Field({ nullable: true })
  statusDetail?: string;

  @Field(() => Date, { nullable: true })
  lastSuccessAt?: Date;

  @Field(() => Date, { nullable: true })
  lastFailureAt?: Date;

  @Field({ nullable: true })
  lastError?: string;
}

@InputType()
export class CreateChannelInput {
  @Field()
  name!: string;

  @Field()
  pluginId!: string;

  @Field(() => JSONObjectResolver)
  settings!: Record<string, unknown>;

  @Field(() => ID)
  orgUnitId!: string;
}

@InputType()
export class UpdateChannelInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true })
  name?: string;

  @Field(() => JSONObjectResolver, { nullable: true })
  settings?: Record<string, unknown>;

  @Field({ nullable: true })
  enabled?: boolean;
}

@InputType()
export class CollectionPointInput {
  @Field(() => RegisterCode)
  register!: RegisterCode;

  @Field(() => JSONObjectResolver)
  settings!: Record<string, unknown>;
}

@InputType()
export class SetMeterCollectionInput {
  @Field(() => ID)
  meterId!: string;

  @Field(() => ID)
  channelId!: string;

  @Field(() => JSONObjectResolver, { nullable: true, description: "The meter's own device settings (default none)." })
  settings?: Record<string, unknown>;

  @Field(() => [CollectionPointInput])
  points!: CollectionPointInput[];
}

@InputType()
export class ReadMeterNowInput {
  @Field(() => ID)
  meterId!: string;
}

@ObjectType()
export class ChannelPayload {
  @Field(() => ChannelType)
  channel!: ChannelType;
}

@ObjectType()
export class MeterCollectionPayload {
  @Field(() => MeterCollectionType)
  collection!: MeterCollectionType;
}

@ObjectType('ReadValue')
export class ReadValueType {
  @Field(() => RegisterCode)
  register!: RegisterCode;

  @Field(() => DecimalScalar, { nullable: true })
  value?: string;

  @Field({ description: 'good, suspect or bad' })
  quality!: string;

  @Field({ nullable: true })
  reason?: string;

  @Field(() => Date)
  measuredAt!: Date;
}

@ObjectType()
export class ReadMeterNowPayload {
  @Field(() => [ReadValueType], {
    description:
      'What the meter answered; good values are also stored. A meter that did not answer gives every value bad, with the reason.',
  })
  values!: ReadValueType[];
}

@ObjectType('AreaCompleteness', { description: 'Collection completeness of one transformer area on one local day.' })
export class AreaCompletenessType {
  @Field(() => Int)
  installedMeters!: number;

  @Field(() => Int, { description: 'Installed meters under automatic collection.' })
  collectedMeters!: number;

  @Field(() => Int, { description: 'Meters under collection with at least one good value that day.' })
  readMeters!: number;

  @Field(() => DecimalScalar, { description: 'readMeters / collectedMeters, 4 decimals.' })
  successRate!: string;

  @Field(() => DecimalScalar, { description: 'collectedMeters / installedMeters, 4 decimals.' })
  coverage!: string;
}

@ObjectType('CollectionCycle', { description: 'One finished collection cycle.' })
export class CollectionCycleType {
  @Field(() => Date)
  finishedAt!: Date;

  @Field(() => Int, { description: 'Meters that were due.' })
  meters!: number;

  @Field(() => Int, { description: 'Meters that answered.' })
  succeeded!: number;

  @Field(() => Int, { description: 'Meters that could not be reached.' })
  failed!: number;

  @Field(() => Int)
  values!: number;

  @Field(() => Int)
  badValues!: number;
}
