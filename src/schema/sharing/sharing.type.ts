import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { SHAREABLE_SUBJECTS } from '../../auth/permissions.js';
import { ConnectionType, NodeInterface } from '../common/index.js';

const SUBJECTS_TEXT = SHAREABLE_SUBJECTS.join(', ');

@ObjectType('SharedSubject', { description: 'One kind of archive row a grant shares.' })
export class SharedSubjectType {
  @Field({ description: SUBJECTS_TEXT })
  subject!: string;

  @Field(() => [String], { nullable: true, description: 'Only these fields; null means every field.' })
  fields?: string[];
}

@ObjectType('SharingGrant', {
  implements: NodeInterface,
  description:
    "Read-only access to one unit's subtree for the users of another unit's subtree (or for one user), until it expires or is revoked.",
})
export class SharingGrantType extends NodeInterface {
  @Field(() => [SharedSubjectType])
  shares!: SharedSubjectType[];

  @Field({ description: 'Why the data is shared.' })
  purpose!: string;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  revokedAt?: Date;

  @Field({ nullable: true })
  revokeReason?: string;
}

export const SharingGrantConnection = ConnectionType(SharingGrantType, 'SharingGrant');

@InputType()
export class SharingGrantFilter {
  @Field({ nullable: true, description: 'true: neither revoked nor expired; false: revoked or expired.' })
  active?: boolean;

  @Field({ nullable: true, description: 'true: only the active grants that reach the caller.' })
  received?: boolean;

  @Field(() => ID, { nullable: true, description: 'Grants that share this unit or a unit below it.' })
  sourceUnitSubtree?: string;
}

@InputType()
export class SharedSubjectInput {
  @Field({ description: SUBJECTS_TEXT })
  subject!: string;

  @Field(() => [String], {
    nullable: true,
    description: "Share only these fields (the subject's value fields); omit to share every field.",
  })
  fields?: string[];
}

@InputType()
export class CreateSharingGrantInput {
  @Field(() => ID, { description: 'The unit whose whole subtree is shared; inside your own scope.' })
  sourceUnitId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'Users of this unit and of the units below it receive the grant (or granteeUserId).',
  })
  granteeUnitId?: string;

  @Field(() => ID, { nullable: true, description: 'One user receives the grant (or granteeUnitId).' })
  granteeUserId?: string;

  @Field(() => [SharedSubjectInput])
  shares!: SharedSubjectInput[];

  @Field()
  purpose!: string;

  @Field(() => Date, { description: 'In the future, and at most 365 days ahead.' })
  expiresAt!: Date;
}

@InputType()
export class RevokeSharingGrantInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true })
  reason?: string;
}

@ObjectType()
export class SharingGrantPayload {
  @Field(() => SharingGrantType)
  sharingGrant!: SharingGrantType;
}
