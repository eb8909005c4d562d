import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { ShareableSubject } from '../../auth/permissions.js';
import { OrgUnit, SharingGrant, User } from '../../orm/entities/index.js';
import { type Context, NodeResolver, objectTypeOf, PageArgs, ruleFields } from '../common/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { UserType } from '../user/index.js';
import {
  CreateSharingGrantInput,
  RevokeSharingGrantInput,
  SharingGrantConnection,
  SharingGrantFilter,
  SharingGrantPayload,
  SharingGrantType,
} from './sharing.type.js';
import { createSharingGrant, listSharingGrants, loadSharingGrant, revokeSharingGrant } from './sharing.service.js';

/** The fields a grant may list for a subject: its value fields as the API shows them. */
const fieldsOf = (info: GraphQLResolveInfo) => (subject: ShareableSubject) => {
  const type = objectTypeOf(info.schema, subject);
  return type ? ruleFields(type) : [];
};

@Resolver(() => SharingGrantType)
export class SharingGrantResolver extends NodeResolver<SharingGrant>(SharingGrantType, 'SharingGrant') {
  @Query(() => SharingGrantConnection, {
    description: 'Sharing grants the caller may see (given from their scope, or reaching them), newest first.',
  })
  sharingGrants(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => SharingGrantFilter, { nullable: true }) filter?: SharingGrantFilter,
  ) {
    return listSharingGrants(ctx, filter, page);
  }

  @Query(() => SharingGrantType)
  sharingGrant(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadSharingGrant(ctx, id);
  }

  // The parties are part of the grant: shown to whoever may see the grant, even when the unit or
  // user lies outside their own scope. What lies under such a unit stays scoped as usual.
  @FieldResolver(() => OrgUnitType, { nullable: true, description: 'The unit whose subtree is shared.' })
  sourceUnit(@Root() grant: SharingGrant, @Ctx() ctx: Context) {
    return ctx.em.findOne(OrgUnit, { id: grant.sourceUnit.id });
  }

  @FieldResolver(() => OrgUnitType, { nullable: true, description: 'Its users and those below receive the grant.' })
  granteeUnit(@Root() grant: SharingGrant, @Ctx() ctx: Context) {
    return grant.granteeUnit ? ctx.em.findOne(OrgUnit, { id: grant.granteeUnit.id }) : null;
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'The one user who receives the grant.' })
  granteeUser(@Root() grant: SharingGrant, @Ctx() ctx: Context) {
    return grant.granteeUser ? ctx.em.findOne(User, { id: grant.granteeUser.id }) : null;
  }

  @FieldResolver(() => UserType, { nullable: true })
  createdBy(@Root() grant: SharingGrant, @Ctx() ctx: Context) {
    return grant.createdBy ? ctx.loaders.user.load(grant.createdBy.id) : null;
  }

  @FieldResolver(() => UserType, { nullable: true })
  revokedBy(@Root() grant: SharingGrant, @Ctx() ctx: Context) {
    return grant.revokedBy ? ctx.loaders.user.load(grant.revokedBy.id) : null;
  }

  @FieldResolver(() => Boolean, { description: 'Neither revoked nor expired.' })
  active(@Root() grant: SharingGrant) {
    return !grant.revokedAt && grant.expiresAt > new Date();
  }

  @Mutation(() => SharingGrantPayload, {
    description: "Share a subtree of your scope, read-only and until a date, with another unit's users or one user.",
  })
  async createSharingGrant(
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
    @Arg('input', () => CreateSharingGrantInput) input: CreateSharingGrantInput,
  ) {
    return { sharingGrant: await createSharingGrant(ctx, input, fieldsOf(info)) };
  }

  @Mutation(() => SharingGrantPayload, { description: 'End a grant at once; it stays on record.' })
  async revokeSharingGrant(
    @Ctx() ctx: Context,
    @Arg('input', () => RevokeSharingGrantInput) input: RevokeSharingGrantInput,
  ) {
    return { sharingGrant: await revokeSharingGrant(ctx, input) };
  }
}
