import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { MeterType } from '../meter/index.js';

export enum RelayCommandKind {
  TRIP = 'TRIP',
  PERMIT_CLOSE = 'PERMIT_CLOSE',
}
registerEnumType(RelayCommandKind, {
  name: 'RelayCommand',
  description:
    "TRIP opens the meter's relay (跳闸); PERMIT_CLOSE allows it to close again (合闸允许): most meters wait for the customer to press the button.",
});

export enum RelayCommandStatus {
  DONE = 'DONE',
  REFUSED = 'REFUSED',
  FAILED = 'FAILED',
  UNSUPPORTED = 'UNSUPPORTED',
  NOT_COLLECTED = 'NOT_COLLECTED',
}
registerEnumType(RelayCommandStatus, {
  name: 'RelayCommandStatus',
  description:
    "DONE: the meter confirmed; REFUSED: it answered with an error (e.g. wrong password); FAILED: no usable answer, so whether the relay switched is unknown; UNSUPPORTED: the meter's collector has no relay control; NOT_COLLECTED: the meter is not under automatic collection.",
});

@InputType()
export class ControlMeterRelayInput {
  @Field(() => ID)
  meterId!: string;

  @Field(() => RelayCommandKind)
  command!: RelayCommandKind;
}

@ObjectType()
export class ControlMeterRelayPayload {
  @Field(() => RelayCommandStatus)
  status!: RelayCommandStatus;

  @Field({
    nullable: true,
    description: "The meter's error, why nothing was sent, or the relay's state after the command.",
  })
  detail?: string;

  @Field(() => MeterType)
  meter!: MeterType;
}
