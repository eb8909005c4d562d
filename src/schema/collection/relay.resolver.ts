import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../common/index.js';
import { controlMeterRelay } from './relay.service.js';
import { ControlMeterRelayInput, ControlMeterRelayPayload } from './relay.type.js';

@Resolver()
export class RelayResolver {
  @Mutation(() => ControlMeterRelayPayload, {
    description:
      "Trip a meter's relay or permit it to reconnect (prepayment, disconnection for arrears), ahead of scheduled reads on its line. Needs update on the meter.",
  })
  controlMeterRelay(@Ctx() ctx: Context, @Arg('input', () => ControlMeterRelayInput) input: ControlMeterRelayInput) {
    return controlMeterRelay(ctx, input);
  }
}
