import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { UserType } from '../user/index.js';

@ObjectType('ApiKey', {
  description:
    'A key a collector service or vendor integration sends as "Authorization: Bearer mgk_...". It acts as ' +
    'its service account, limited to some collection channels when it names them.',
})
export class ApiKeyType {
  @Field(() => ID)
  id!: number;

  @Field()
  name!: string;

  @Field({ description: 'The public start of the key (mgk_<prefix>_...), to tell keys apart.' })
  prefix!: string;

  @Field(() => UserType, { description: 'The service account it acts as.' })
  user!: UserType;

  @Field(() => [ID], { nullable: true, description: 'Channels it is limited to; null: the whole account scope.' })
  channelIds?: string[] | null;

  @Field()
  createdAt!: Date;

  @Field({ nullable: true })
  expiresAt?: Date;

  @Field({ nullable: true })
  revokedAt?: Date;

  @Field({ nullable: true, description: 'Within a minute.' })
  lastUsedAt?: Date;
}

@InputType()
export class CreateApiKeyInput {
  @Field()
  name!: string;

  @Field(() => ID, { description: 'A COLLECTOR_SERVICE user.' })
  userId!: string;

  @Field(() => [ID], { nullable: true, description: 'Limit the key to these channels.' })
  channelIds?: string[];

  @Field({ nullable: true })
  expiresAt?: Date;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKeyType)
  apiKey!: ApiKeyType;

  @Field({ description: 'The key itself: shown this once, only its hash is kept.' })
  key!: string;
}

@InputType()
export class RevokeApiKeyInput {
  @Field(() => ID)
  id!: string;
}

@ObjectType()
export class ApiKeyPayload {
  @Field(() => ApiKeyType)
  apiKey!: ApiKeyType;
}
