import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { LoginPolicy } from '../../orm/entities/index.js';
import type { Context } from '../common/index.js';
import { UserType } from '../user/index.js';
import {
  ClearLoginLockoutInput,
  ClearLoginLockoutPayload,
  LoginPolicyPayload,
  LoginPolicyTargetInput,
  LoginPolicyType,
  SetLoginPolicyInput,
} from './login-policy.type.js';
import { clearLoginLockout, deleteLoginPolicy, listLoginPolicies, setLoginPolicy } from './login-policy.service.js';

@Resolver(() => LoginPolicyType)
export class LoginPolicyResolver {
  @Query(() => [LoginPolicyType], { description: 'Every login policy, by role and by user (admins, auditors).' })
  loginPolicies(@Ctx() ctx: Context) {
    return listLoginPolicies(ctx);
  }

  @Mutation(() => LoginPolicyPayload, { description: "Create or replace a role's or a user's login policy." })
  setLoginPolicy(@Ctx() ctx: Context, @Arg('input', () => SetLoginPolicyInput) input: SetLoginPolicyInput) {
    return setLoginPolicy(ctx, input);
  }

  @Mutation(() => LoginPolicyPayload, { description: 'Remove a policy: the role (or user) follows the defaults.' })
  deleteLoginPolicy(@Ctx() ctx: Context, @Arg('input', () => LoginPolicyTargetInput) input: LoginPolicyTargetInput) {
    return deleteLoginPolicy(ctx, input);
  }

  @Mutation(() => ClearLoginLockoutPayload, { description: 'Lift a login lockout before it runs out.' })
  clearLoginLockout(@Ctx() ctx: Context, @Arg('input', () => ClearLoginLockoutInput) input: ClearLoginLockoutInput) {
    return clearLoginLockout(ctx, input);
  }

  @FieldResolver(() => UserType, { nullable: true })
  user(@Root() policy: LoginPolicy) {
    return policy.user ?? null;
  }
}
