import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../common/context.js';
import { LoginInput, LoginPayload, LogoutPayload, RefreshTokenInput } from './session.type.js';
import { login, logout, refresh } from './session.service.js';

@Resolver()
export class SessionResolver {
  @Mutation(() => LoginPayload, { description: 'Staff login with username and password.' })
  login(@Ctx() ctx: Context, @Arg('input', () => LoginInput) input: LoginInput) {
    return login(ctx, input);
  }

  @Mutation(() => LoginPayload, { description: 'Exchange a refresh token for a new token pair.' })
  refreshToken(@Ctx() ctx: Context, @Arg('input', () => RefreshTokenInput) input: RefreshTokenInput) {
    return refresh(ctx, input.refreshToken);
  }

  @Mutation(() => LogoutPayload, { description: 'End the session the refresh token belongs to.' })
  logout(@Ctx() ctx: Context, @Arg('input', () => RefreshTokenInput) input: RefreshTokenInput) {
    return logout(ctx, input.refreshToken);
  }
}
