import { JSONObjectResolver } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ConnectionType } from '../common/index.js';

@ObjectType('AuditRecord', {
  description: 'One audited event: a mutation or a security event. Records are never changed or deleted.',
})
export class AuditRecordType {
  @Field(() => ID, { description: 'Position in the chain, consecutive from 1.' })
  id!: string;

  @Field()
  at!: Date;

  @Field(() => Int, { nullable: true, description: 'The user who acted; null for anonymous requests.' })
  actorId?: number;

  @Field({ nullable: true, description: 'Their username at the time.' })
  actor?: string;

  @Field({ nullable: true })
  actorRole?: string;

  @Field({ nullable: true, description: 'Source address of the request.' })
  ip?: string;

  @Field({ nullable: true })
  requestId?: string;

  @Field({
    description:
      'The mutation (updateMeter, setRolePermissions...) or the security event: login, login_failed, ' +
      'login_locked, logout, refresh_token_reuse.',
  })
  action!: string;

  @Field({ description: 'OK, or the error code the client was given.' })
  outcome!: string;

  @Field(() => JSONObjectResolver, {
    description: 'input (secrets redacted, personal data marked), changes [{entity, id, op, before, after}], notes.',
  })
  details!: Record<string, unknown>;

  @Field({ description: "HMAC-SHA256 of this record's content and the previous hash." })
  hash!: string;

  @Field()
  prevHash!: string;
}

export const AuditRecordConnection = ConnectionType(AuditRecordType, 'AuditRecord');

@InputType()
export class AuditLogFilter {
  @Field(() => [String], { nullable: true, description: 'Mutation or security event names.' })
  actions?: string[];

  @Field({ nullable: true, description: 'Username of the actor.' })
  actor?: string;

  @Field({ nullable: true, description: 'OK, or an error code.' })
  outcome?: string;

  @Field({ nullable: true })
  from?: Date;

  @Field({ nullable: true })
  to?: Date;
}

@ObjectType()
export class AuditVerification {
  @Field({ description: 'True when every record is intact and in place.' })
  ok!: boolean;

  @Field(() => Int, { description: 'Records checked (up to and including the first broken one).' })
  checked!: number;

  @Field(() => ID, { nullable: true, description: 'The first record that was edited, or follows a removed one.' })
  firstBrokenId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The newest intact record. Keep its id and hash elsewhere to detect a removed tail.',
  })
  lastId?: string | null;

  @Field(() => String, { nullable: true })
  lastHash?: string | null;
}
