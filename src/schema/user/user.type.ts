import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PermissionScope, Role } from '../../orm/entities/enums.js';
import { ConnectionType, NodeInterface } from '../common/index.js';

registerEnumType(Role, { name: 'Role' });
registerEnumType(PermissionScope, {
  name: 'PermissionScope',
  description: "Rows a rule reaches: ALL, the user's ORG_SUBTREE, or the customer's OWN_ACCOUNT.",
});

@ObjectType('User', { implements: NodeInterface })
export class UserType extends NodeInterface {
  @Field()
  username!: string;

  @Field()
  displayName!: string;

  @Field(() => Role)
  role!: Role;

  @Field()
  active!: boolean;

  @Field(() => Date, { nullable: true })
  lastLoginAt?: Date;

  @Field(() => Date, { nullable: true, description: 'After this the account cannot log in and its sessions end.' })
  expiresAt?: Date;

  @Field(() => Date, { nullable: true, description: 'Since when logins ask this user for a one-time code.' })
  totpEnabledAt?: Date;

  @Field(() => Date)
  createdAt!: Date;
}

export const UserConnection = ConnectionType(UserType, 'User');

@InputType()
export class UserFilter {
  @Field(() => [Role], { nullable: true })
  roles?: Role[];

  @Field({ nullable: true, description: 'Prefix of the username.' })
  search?: string;
}

@InputType()
export class CreateUserInput {
  @Field()
  username!: string;

  @Field()
  password!: string;

  @Field()
  displayName!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => ID)
  orgUnitId!: string;

  @Field(() => ID, { nullable: true, description: 'Required for the CUSTOMER role.' })
  customerId?: string;

  @Field(() => Date, { nullable: true, description: 'When the account ends (temporary staff); none if not given.' })
  expiresAt?: Date;
}

@InputType()
export class UpdateUserInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true })
  displayName?: string;

  @Field(() => Role, { nullable: true })
  role?: Role;

  @Field(() => ID, { nullable: true })
  orgUnitId?: string;

  @Field({ nullable: true, description: 'false locks the user out and ends their sessions.' })
  active?: boolean;

  @Field(() => Date, { nullable: true, description: 'When the account ends; a past instant ends its sessions.' })
  expiresAt?: Date;

  @Field({ nullable: true, description: 'true removes the end date.' })
  clearExpiry?: boolean;

  @Field({ nullable: true, description: 'A new password; ends all other sessions.' })
  password?: string;
}

@ObjectType()
export class UserPayload {
  @Field(() => UserType)
  user!: UserType;
}

@InputType()
export class RevokeSessionsInput {
  @Field(() => ID)
  userId!: string;
}

@ObjectType()
export class RevokeSessionsPayload {
  @Field(() => UserType)
  user!: UserType;

  @Field(() => Int, { description: 'Refresh tokens that were still valid and are now revoked.' })
  revokedRefreshTokens!: number;
}

@ObjectType('PermissionRule', { description: 'A CASL rule stored as data.' })
export class PermissionRuleType {
  @Field(() => Role)
  role!: Role;

  @Field()
  action!: string;

  @Field()
  subject!: string;

  @Field(() => [String], { nullable: true })
  fields?: string[];

  @Field()
  inverted!: boolean;

  @Field(() => PermissionScope)
  scope!: PermissionScope;
}

@InputType()
export class PermissionRuleInput {
  @Field({ description: 'manage, read, create, update, delete or import' })
  action!: string;

  @Field({ description: 'A subject such as Meter, Customer, or all' })
  subject!: string;

  @Field(() => [String], { nullable: true })
  fields?: string[];

  @Field({ defaultValue: false })
  inverted!: boolean;

  @Field(() => PermissionScope, { defaultValue: PermissionScope.ORG_SUBTREE })
  scope!: PermissionScope;
}

@InputType()
export class SetRolePermissionsInput {
  @Field(() => Role)
  role!: Role;

  @Field(() => [PermissionRuleInput], { description: "Replaces all of the role's rules." })
  rules!: PermissionRuleInput[];
}

@ObjectType()
export class RolePermissionsPayload {
  @Field(() => Role)
  role!: Role;

  @Field(() => [PermissionRuleType])
  rules!: PermissionRuleType[];
}

@ObjectType()
export class TotpEnrollment {
  @Field({ description: 'The secret (base32), shown this once: type it into the app, or use otpauthUri.' })
  secret!: string;

  @Field({ description: 'otpauth://totp/... for a QR code.' })
  otpauthUri!: string;
}

@InputType()
export class ConfirmTotpInput {
  @Field({ description: 'The 6 digits the authenticator app shows now.' })
  code!: string;
}

@InputType()
export class ResetTotpInput {
  @Field(() => ID)
  userId!: string;
}
