import { Field, InputType, ObjectType } from 'type-graphql';
import { UserType } from '../user/index.js';

@InputType()
export class LoginInput {
  @Field()
  username!: string;

  @Field()
  password!: string;

  @Field({ nullable: true, description: 'The 6-digit code of the authenticator app, for users who set one up.' })
  totpCode?: string;
}

@InputType()
export class RefreshTokenInput {
  @Field()
  refreshToken!: string;
}

@ObjectType()
export class LoginPayload {
  @Field({ description: 'Send as "Authorization: Bearer <accessToken>".' })
  accessToken!: string;

  @Field({ description: 'Single use: exchange it with refreshToken for a new pair.' })
  refreshToken!: string;

  @Field(() => Date, { description: 'When the access token expires.' })
  expiresAt!: Date;

  @Field({
    description:
      'True: the policy asks for a one-time code and none is set up. The tokens then reach only me, ' +
      'enrollTotp, confirmTotp and logout; after confirmTotp, log in again with the code.',
  })
  totpEnrollmentRequired!: boolean;

  @Field(() => UserType)
  user!: UserType;
}

@ObjectType()
export class LogoutPayload {
  @Field()
  ok!: boolean;
}

@InputType()
export class CustomerLoginInput {
  @Field({ description: "The customer's account number (户号)." })
  accountNo!: string;

  @Field()
  password!: string;

  @Field({ nullable: true, description: 'The 6-digit code of the authenticator app, for users who set one up.' })
  totpCode?: string;
}
