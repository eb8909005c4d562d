import { z } from 'zod';
import { newApiKey } from '../../auth/api-keys.js';
import { ApiKey, Channel, Role, User } from '../../orm/entities/index.js';
import { badField, notFound } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { toGlobalId } from '../../shared/global-id.js';
import { validate } from '../../shared/validate.js';
import { type Context, loadPermitted, localId } from '../common/index.js';
import type { CreateApiKeyInput, RevokeApiKeyInput } from './api-key.type.js';

const createSchema = z.object({
  name: formats.name,
  userId: z.string(),
  channelIds: z.array(z.string()).min(1, 'give at least one channel, or leave it out').max(500).optional().nullable(),
  expiresAt: z
    .date()
    .refine((d) => d.getTime() > Date.now(), 'must be in the future')
    .optional()
    .nullable(),
});

export function listApiKeys(ctx: Context) {
  ctx.access.assert('read', 'ApiKey');
  return ctx.em.find(ApiKey, {}, { orderBy: { id: 'desc' }, populate: ['user'] });
}

/** Issues a key for a service account; the key is in the answer only. */
export async function createApiKey(ctx: Context, input: CreateApiKeyInput) {
  ctx.access.assert('create', 'ApiKey');
  const data = validate(createSchema, input);
  const user = await loadPermitted(ctx, User, 'User', 'read', data.userId, ['input', 'userId']);
  if (user.role !== Role.COLLECTOR_SERVICE)
    throw badField(['input', 'userId'], 'API keys are for COLLECTOR_SERVICE accounts; people log in');
  let channelIds: number[] | undefined;
  if (data.channelIds) {
    channelIds = [...new Set(data.channelIds.map((id, i) => localId(id, 'Channel', ['input', 'channelIds', i])))];
    const found = await ctx.em.count(Channel, { id: { $in: channelIds } });
    if (found !== channelIds.length) throw badField(['input', 'channelIds'], 'a channel does not exist');
  }
  const issued = newApiKey();
  const apiKey = ctx.em.create(ApiKey, {
    name: data.name,
    user,
    prefix: issued.prefix,
    secretHash: issued.secretHash,
    channelIds,
    createdBy: ctx.access.user,
    expiresAt: data.expiresAt ?? undefined,
  });
  await ctx.em.flush();
  return { apiKey, key: issued.key };
}

export async function revokeApiKey(ctx: Context, input: RevokeApiKeyInput) {
  ctx.access.assert('update', 'ApiKey');
  const id = Number(input.id);
  const apiKey =
    Number.isSafeInteger(id) && id > 0 ? await ctx.em.findOne(ApiKey, { id }, { populate: ['user'] }) : null;
  if (!apiKey) throw notFound('ApiKey', input.id);
  apiKey.revokedAt ??= new Date();
  await ctx.em.flush();
  return { apiKey };
}

export const channelGlobalIds = (key: ApiKey) => key.channelIds?.map((id) => toGlobalId('Channel', id)) ?? null;
