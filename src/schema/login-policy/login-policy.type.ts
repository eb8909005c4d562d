import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Role } from '../../orm/entities/enums.js';
import { UserType } from '../user/index.js';

@ObjectType('TimeWindow', { description: "A weekly window, in the user's org time zone." })
export class TimeWindowType {
  @Field(() => [Int], { description: 'ISO weekdays the window opens on: 1 = Monday ... 7 = Sunday.' })
  days!: number[];

  @Field({ description: '"HH:MM".' })
  start!: string;

  @Field({ description: '"HH:MM"; before the start: the window runs past midnight.' })
  end!: string;
}

@InputType()
export class TimeWindowInput {
  @Field(() => [Int])
  days!: number[];

  @Field()
  start!: string;

  @Field()
  end!: string;
}

@ObjectType('LoginPolicy', {
  description:
    "Where from, when and how a role's users (or one user, replacing the role's policy) may log in. " +
    'Checked at login, token refresh, WebSocket connection and on every request.',
})
export class LoginPolicyType {
  @Field(() => ID)
  id!: number;

  @Field(() => Role, { nullable: true })
  role?: Role;

  @Field(() => UserType, { nullable: true })
  user?: UserType;

  @Field(() => [String], { nullable: true, description: 'CIDR ranges; null: from anywhere.' })
  allowedCidrs?: string[];

  @Field(() => [TimeWindowType], { nullable: true, description: 'null: at any time.' })
  windows?: TimeWindowType[];

  @Field({ description: 'A one-time code (TOTP) is needed besides the password.' })
  requireTotp!: boolean;

  @Field(() => Int, { description: 'Consecutive failed logins before the account locks.' })
  maxFailures!: number;

  @Field(() => Int, { description: 'First lockout in seconds; doubles with each further failure.' })
  lockoutSeconds!: number;

  @Field(() => Int)
  lockoutMaxSeconds!: number;

  @Field()
  updatedAt!: Date;
}

@InputType()
export class SetLoginPolicyInput {
  @Field(() => Role, { nullable: true, description: 'The role the policy is for; or give userId.' })
  role?: Role;

  @Field(() => ID, { nullable: true })
  userId?: string;

  @Field(() => [String], { nullable: true })
  allowedCidrs?: string[];

  @Field(() => [TimeWindowInput], { nullable: true })
  windows?: TimeWindowInput[];

  @Field({ nullable: true, defaultValue: false })
  requireTotp?: boolean;

  @Field(() => Int, { nullable: true, description: 'Default: LOGIN_MAX_FAILURES.' })
  maxFailures?: number;

  @Field(() => Int, { nullable: true, description: 'Default: LOGIN_LOCKOUT_SECONDS.' })
  lockoutSeconds?: number;

  @Field(() => Int, { nullable: true, description: 'Default: LOGIN_LOCKOUT_MAX_SECONDS.' })
  lockoutMaxSeconds?: number;
}

@InputType()
export class LoginPolicyTargetInput {
  @Field(() => Role, { nullable: true })
  role?: Role;

  @Field(() => ID, { nullable: true })
  userId?: string;
}

@ObjectType()
export class LoginPolicyPayload {
  @Field(() => LoginPolicyType, { nullable: true, description: 'null after a delete.' })
  loginPolicy?: LoginPolicyType | null;
}

@InputType()
export class ClearLoginLockoutInput {
  @Field({ nullable: true, description: 'A staff username.' })
  username?: string;

  @Field({ nullable: true, description: "A customer's account number." })
  accountNo?: string;

  @Field({ nullable: true, description: 'A source address.' })
  address?: string;
}

@ObjectType()
export class ClearLoginLockoutPayload {
  @Field(() => Int, { description: 'Counters cleared.' })
  cleared!: number;
}
