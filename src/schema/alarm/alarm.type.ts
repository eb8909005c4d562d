import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AlarmSeverity, AlarmStatus, AlarmType } from '../../orm/entities/enums.js';
import { ConnectionType, NodeInterface } from '../common/index.js';

registerEnumType(AlarmType, { name: 'AlarmType', description: 'The abnormality catalogue.' });
registerEnumType(AlarmSeverity, { name: 'AlarmSeverity' });
registerEnumType(AlarmStatus, { name: 'AlarmStatus', description: 'OPEN -> ACKNOWLEDGED -> CLEARED or CLOSED.' });

@ObjectType('Alarm', { implements: NodeInterface, description: 'An abnormality of a meter or of its collection.' })
export class AlarmObject extends NodeInterface {
  @Field(() => AlarmType)
  type!: AlarmType;

  @Field(() => AlarmSeverity)
  severity!: AlarmSeverity;

  @Field(() => AlarmStatus)
  status!: AlarmStatus;

  @Field()
  message!: string;

  @Field(() => Date, { description: 'When it was first raised.' })
  firstAt!: Date;

  @Field(() => Date, { description: 'When it was last raised again (repeats are merged).' })
  lastAt!: Date;

  @Field(() => Int, { description: 'How many times it was raised while active.' })
  count!: number;

  @Field(() => Date, { nullable: true })
  acknowledgedAt?: Date;

  @Field(() => Date, { nullable: true })
  closedAt?: Date;

  @Field(() => Date, { nullable: true, description: 'When the cause went away by itself (CLEARED).' })
  clearedAt?: Date;

  @Field({ nullable: true })
  note?: string;
}

export const AlarmConnection = ConnectionType(AlarmObject, 'Alarm');

@InputType()
export class AlarmFilter {
  @Field(() => ID, { nullable: true, description: 'Alarms of this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field(() => [AlarmType], { nullable: true })
  types?: AlarmType[];

  @Field(() => [AlarmStatus], { nullable: true })
  statuses?: AlarmStatus[];

  @Field(() => [AlarmSeverity], { nullable: true })
  severities?: AlarmSeverity[];

  @Field(() => ID, { nullable: true })
  meterId?: string;

  @Field(() => Date, { nullable: true, description: 'Last raised at or after.' })
  from?: Date;

  @Field(() => Date, { nullable: true, description: 'Last raised before.' })
  to?: Date;
}

@InputType()
export class AlarmActionInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true, description: 'What was done or found (kept with the alarm).' })
  note?: string;
}

@ObjectType()
export class AlarmPayload {
  @Field(() => AlarmObject)
  alarm!: AlarmObject;
}

@InputType()
export class CollectionAlarmFilter {
  @Field(() => ID, { nullable: true })
  orgUnitSubtree?: string;

  @Field(() => [AlarmType], { nullable: true })
  types?: AlarmType[];

  @Field(() => [AlarmSeverity], { nullable: true })
  severities?: AlarmSeverity[];
}
