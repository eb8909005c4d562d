import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../common/index.js';
import { CustomerLoginInput, LoginInput, LoginPayload, LogoutPayload, RefreshTokenInput } from './session.type.js';
import { customerLogin, login, logout, refresh } from './session.service.js';

@Resolver()
export class SessionResolver {
  @Mutation(() => LoginPayload, {
    description:
      'Staff login with username and password. Customers use customerLogin; collector services use API keys.',
  })
  login(@Ctx() ctx: Context, @Arg('input', () => LoginInput) input: LoginInput) {
    return login(ctx, input);
  }

  @Mutation(() => LoginPayload, { description: 'Customer self-service login with account number and password.' })
  customerLogin(@Ctx() ctx: Context, @Arg('input', () => CustomerLoginInput) input: CustomerLoginInput) {
    return customerLogin(ctx, input);
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
