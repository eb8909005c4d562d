import { JSONObjectResolver } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';
import { ConnectionType } from '../common/index.js';

@ObjectType('MeterEvent', {
  description: "An event from the meter's own event log (cover opened, power down...), as collection read it.",
})
export class MeterEventType {
  @Field({
    description:
      "METER_COVER_OPEN, TERMINAL_COVER_OPEN, POWER_OFF, ... (the collector SDK names them); and the server's relay commands: RELAY_TRIPPED, RELAY_PERMITTED, RELAY_COMMAND_FAILED (detail: command, status, detail, requestedBy = the user's id).",
  })
  type!: string;

  @Field({ description: "When it began, by the meter's clock." })
  occurredAt!: Date;

  @Field({ nullable: true, description: 'When it ended (power back, cover closed), if the meter recorded that.' })
  endedAt?: Date;

  @Field(() => JSONObjectResolver, { nullable: true })
  detail?: Record<string, unknown>;

  @Field()
  receivedAt!: Date;
}

export const MeterEventConnection = ConnectionType(MeterEventType, 'MeterEvent');
