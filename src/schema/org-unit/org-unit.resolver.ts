import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { OrgUnit } from '../../orm/entities/index.js';
import {
  connectionOf,
  type Context,
  FirstArgs,
  loadPermitted,
  NodeResolver,
  PageArgs,
  pageSize,
} from '../common/index.js';
import {
  CreateOrgUnitInput,
  OrgUnitConnection,
  OrgUnitFilter,
  OrgUnitOrder,
  OrgUnitPayload,
  OrgUnitType,
  UpdateOrgUnitInput,
} from './org-unit.type.js';
import { createOrgUnit, listOrgUnits, updateOrgUnit } from './org-unit.service.js';
import { OrgUnit as OrgUnitEntity } from '../../orm/entities/index.js';

@Resolver(() => OrgUnitType)
export class OrgUnitResolver extends NodeResolver<OrgUnit>(OrgUnitType, 'OrgUnit') {
  @Query(() => OrgUnitConnection, { description: 'Org units the caller may see.' })
  orgUnits(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => OrgUnitFilter, { nullable: true }) filter?: OrgUnitFilter,
    @Arg('orderBy', () => OrgUnitOrder, { nullable: true }) orderBy?: OrgUnitOrder,
  ) {
    return listOrgUnits(ctx, filter, orderBy, page);
  }

  @Query(() => OrgUnitType)
  orgUnit(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, OrgUnitEntity, 'OrgUnit', 'read', id);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The time zone set on this unit, if any.' })
  timeZone(@Root() unit: OrgUnit) {
    return unit.timeZone ?? null;
  }

  @FieldResolver(() => String, {
    description: 'Time zone for local days: own, else nearest ancestor, else the server default.',
  })
  effectiveTimeZone(@Root() unit: OrgUnit, @Ctx() ctx: Context) {
    return ctx.loaders.effectiveTimeZone.load(unit.path);
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  parent(@Root() unit: OrgUnit, @Ctx() ctx: Context) {
    return unit.parent ? ctx.loaders.orgUnit.load(unit.parent.id) : null;
  }

  @FieldResolver(() => OrgUnitConnection)
  async children(@Root() unit: OrgUnit, @Ctx() ctx: Context, @Args(() => FirstArgs) page: FirstArgs) {
    const first = pageSize(page.first, ctx.config.maxPageSize);
    const rows = await ctx.loaders.orgUnitChildren.load({ parentId: unit.id, first });
    return connectionOf(rows, first, () => ctx.loaders.orgUnitChildCount.load(unit.id));
  }

  @Mutation(() => OrgUnitPayload)
  async createOrgUnit(@Ctx() ctx: Context, @Arg('input', () => CreateOrgUnitInput) input: CreateOrgUnitInput) {
    return { orgUnit: await createOrgUnit(ctx, input) };
  }

  @Mutation(() => OrgUnitPayload)
  async updateOrgUnit(@Ctx() ctx: Context, @Arg('input', () => UpdateOrgUnitInput) input: UpdateOrgUnitInput) {
    return { orgUnit: await updateOrgUnit(ctx, input) };
  }
}
