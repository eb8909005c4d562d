import { z } from 'zod';
import { Meter } from '../../orm/entities/index.js';
import { validate } from '../../shared/validate.js';
import type { RelayCommand } from '../../collectors/index.js';
import { type Context, loadPermitted } from '../common/index.js';
import type { ControlMeterRelayInput } from './relay.type.js';

const inputSchema = z.object({ meterId: z.string(), command: z.enum(['TRIP', 'PERMIT_CLOSE']) });

/**
 * Sends a relay command to a meter the caller may update, through its collector, ahead of the
 * scheduled reads on its line. What came of it is the payload's status (a meter that cannot take
 * the command is not an error), kept in the meter's events with who asked and in the mutation's
 * audit record.
 */
export async function controlMeterRelay(ctx: Context, input: ControlMeterRelayInput) {
  const data = validate(inputSchema, input);
  const meter = await loadPermitted(ctx, Meter, 'Meter', 'update', data.meterId, ['input', 'meterId']);
  const command: RelayCommand = data.command;
  const outcome = await ctx.collection.controlRelay(meter.id, command, ctx.access.requireUser().id);
  ctx.audit?.note('relay', { command, ...outcome });
  return { status: outcome.status, detail: outcome.detail, meter };
}
