import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { ApiKey } from '../../orm/entities/index.js';
import type { Context } from '../common/index.js';
import { UserType } from '../user/index.js';
import {
  ApiKeyPayload,
  ApiKeyType,
  CreateApiKeyInput,
  CreateApiKeyPayload,
  RevokeApiKeyInput,
} from './api-key.type.js';
import { channelGlobalIds, createApiKey, listApiKeys, revokeApiKey } from './api-key.service.js';

@Resolver(() => ApiKeyType)
export class ApiKeyResolver {
  @Query(() => [ApiKeyType], { description: 'Every API key, newest first (administrators).' })
  apiKeys(@Ctx() ctx: Context) {
    return listApiKeys(ctx);
  }

  @Mutation(() => CreateApiKeyPayload, { description: 'Issue an API key for a collector service or vendor.' })
  createApiKey(@Ctx() ctx: Context, @Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput) {
    return createApiKey(ctx, input);
  }

  @Mutation(() => ApiKeyPayload, { description: 'Revoke a key: it stops working on its next request.' })
  revokeApiKey(@Ctx() ctx: Context, @Arg('input', () => RevokeApiKeyInput) input: RevokeApiKeyInput) {
    return revokeApiKey(ctx, input);
  }

  @FieldResolver(() => UserType)
  user(@Root() key: ApiKey) {
    return key.user;
  }

  @FieldResolver(() => [ID], { nullable: true })
  channelIds(@Root() key: ApiKey) {
    return channelGlobalIds(key);
  }
}
