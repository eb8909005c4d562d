import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role, User } from '../../orm/entities/index.js';
import { type Context, loadPermitted, NodeResolver, objectTypeOf, PageArgs, ruleFields } from '../common/index.js';
import { CustomerType } from '../customer/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { confirmTotp, enrollTotp, resetTotp } from './totp.service.js';
import {
  ConfirmTotpInput,
  CreateUserInput,
  PermissionRuleType,
  ResetTotpInput,
  TotpEnrollment,
  RevokeSessionsInput,
  RevokeSessionsPayload,
  RolePermissionsPayload,
  SetRolePermissionsInput,
  UpdateUserInput,
  UserConnection,
  UserFilter,
  UserPayload,
  UserType,
} from './user.type.js';
import {
  createUser,
  listRolePermissions,
  listUsers,
  logoutEverywhere,
  revokeSessions,
  setRolePermissions,
  updateUser,
} from './user.service.js';

@Resolver(() => UserType)
export class UserResolver extends NodeResolver<User>(UserType, 'User') {
  @Query(() => UserType, { description: 'The signed-in user.' })
  me(@Ctx() ctx: Context) {
    return ctx.access.requireUser();
  }

  @Query(() => UserConnection)
  users(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => UserFilter, { nullable: true }) filter?: UserFilter,
  ) {
    return listUsers(ctx, filter, page);
  }

  @Query(() => UserType)
  user(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, User, 'User', 'read', id);
  }

  @Query(() => [PermissionRuleType], { description: 'Stored permission rules, for one role or all.' })
  rolePermissions(@Ctx() ctx: Context, @Arg('role', () => Role, { nullable: true }) role?: Role) {
    return listRolePermissions(ctx, role);
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  orgUnit(@Root() user: User, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(user.orgUnit.id);
  }

  @FieldResolver(() => CustomerType, { nullable: true, description: 'For CUSTOMER users: their account.' })
  customer(@Root() user: User, @Ctx() ctx: Context) {
    return user.customer ? ctx.loaders.customer.load(user.customer.id) : null;
  }

  @Mutation(() => UserPayload)
  async createUser(@Ctx() ctx: Context, @Arg('input', () => CreateUserInput) input: CreateUserInput) {
    return { user: await createUser(ctx, input) };
  }

  @Mutation(() => UserPayload)
  async updateUser(@Ctx() ctx: Context, @Arg('input', () => UpdateUserInput) input: UpdateUserInput) {
    return { user: await updateUser(ctx, input) };
  }

  @Mutation(() => RevokeSessionsPayload, {
    description:
      "End every session of a user: access tokens stop at once, refresh tokens are revoked, the user's live subscriptions close within seconds.",
  })
  revokeSessions(@Ctx() ctx: Context, @Arg('input', () => RevokeSessionsInput) input: RevokeSessionsInput) {
    return revokeSessions(ctx, input);
  }

  @Mutation(() => RevokeSessionsPayload, {
    description: 'End every session of the signed-in user, on every device, this one included.',
  })
  logoutEverywhere(@Ctx() ctx: Context) {
    return logoutEverywhere(ctx);
  }

  @Mutation(() => RolePermissionsPayload, { description: "Replace a role's permission rules (admins)." })
  setRolePermissions(
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
    @Arg('input', () => SetRolePermissionsInput) input: SetRolePermissionsInput,
  ) {
    return setRolePermissions(ctx, input, (subject) => {
      const type = objectTypeOf(info.schema, subject);
      return type ? ruleFields(type) : [];
    });
  }

  @Mutation(() => TotpEnrollment, {
    description: 'Start setting up a one-time code (authenticator app) for yourself; confirm with confirmTotp.',
  })
  enrollTotp(@Ctx() ctx: Context) {
    return enrollTotp(ctx);
  }

  @Mutation(() => UserPayload, {
    description: 'Confirm the authenticator with its current code: logins ask for a code from now on.',
  })
  confirmTotp(@Ctx() ctx: Context, @Arg('input', () => ConfirmTotpInput) input: ConfirmTotpInput) {
    return confirmTotp(ctx, input);
  }

  @Mutation(() => UserPayload, { description: "Remove a user's one-time code (lost phone); ends their sessions." })
  resetTotp(@Ctx() ctx: Context, @Arg('input', () => ResetTotpInput) input: ResetTotpInput) {
    return resetTotp(ctx, input);
  }
}
