import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { EstimationMethod, ReadingQuality, ReadingSource, RegisterCode } from '../../orm/entities/enums.js';
import { ConnectionType, DecimalScalar, NodeInterface, OrderDirection } from '../common/index.js';

registerEnumType(RegisterCode, {
  name: 'RegisterCode',
  description: 'Energy register: total or TOU band (T1 critical peak, T2 peak, T3 flat, T4 valley).',
});
registerEnumType(ReadingSource, { name: 'ReadingSource' });
registerEnumType(ReadingQuality, { name: 'ReadingQuality' });
registerEnumType(EstimationMethod, { name: 'EstimationMethod' });

@ObjectType('Reading', {
  implements: NodeInterface,
  description: 'A cumulative register value at the time the meter measured it.',
})
export class ReadingType extends NodeInterface {
  @Field(() => RegisterCode)
  register!: RegisterCode;

  @Field(() => DecimalScalar, { description: 'Register value (kWh, kvarh or kW), exact.' })
  value!: string;

  @Field(() => Date, { description: 'When the meter measured (or froze) the value.' })
  measuredAt!: Date;

  @Field(() => Date, { description: 'When the server received it.' })
  receivedAt!: Date;

  @Field(() => ReadingSource)
  source!: ReadingSource;

  @Field(() => ReadingQuality)
  quality!: ReadingQuality;

  @Field(() => EstimationMethod, { nullable: true, description: 'How an ESTIMATED value was obtained.' })
  estimationMethod?: EstimationMethod;
}

export const ReadingConnection = ConnectionType(ReadingType, 'Reading');

@InputType({ description: 'Readings require a bounded time range: [from, to).' })
export class ReadingFilter {
  @Field(() => Date)
  from!: Date;

  @Field(() => Date)
  to!: Date;

  @Field(() => [ID], { nullable: true })
  meterIds?: string[];

  @Field(() => ID, { nullable: true, description: 'Meters owned by this unit or below it.' })
  orgUnitSubtree?: string;

  @Field(() => [RegisterCode], { nullable: true })
  registers?: RegisterCode[];

  @Field(() => [ReadingSource], { nullable: true })
  sources?: ReadingSource[];

  @Field(() => [ReadingQuality], { nullable: true })
  qualities?: ReadingQuality[];
}

@InputType()
export class ReadingOrder {
  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC, description: 'By measured time.' })
  direction!: OrderDirection;
}

@InputType()
export class RecordManualReadingInput {
  @Field(() => ID)
  meterId!: string;

  @Field(() => RegisterCode, { defaultValue: RegisterCode.FORWARD_ACTIVE_TOTAL })
  register!: RegisterCode;

  @Field(() => DecimalScalar)
  value!: string;

  @Field(() => Date)
  measuredAt!: Date;
}

@ObjectType()
export class ReadingPayload {
  @Field(() => ReadingType)
  reading!: ReadingType;
}
