import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Reading, ReadingVersion, VeeRuleSet } from '../../orm/entities/index.js';
import { rulesOf, type VeeRuleName } from '../../shared/reading-flags.js';
import { type Context, NodeResolver, PageArgs } from '../common/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { ReadingPayload, ReadingType } from '../reading/index.js';
import { UserType } from '../user/index.js';
import { editReading } from './edit.service.js';
import { estimateReadings } from './estimation.service.js';
import { deleteVeeRuleSet, listVeeRuleSets, paramsOf, setVeeRuleSet, veeParametersFor } from './rule-sets.service.js';
import { validateReadings } from './validation.service.js';
import {
  DeleteVeeRuleSetInput,
  DeleteVeeRuleSetPayload,
  EditReadingInput,
  EffectiveVeeParamsType,
  EstimateReadingsPayload,
  ReadingVersionType,
  ValidateReadingsPayload,
  VeeParamsType,
  VeeRangeInput,
  VeeRule,
  VeeRuleSetConnection,
  VeeRuleSetFilter,
  VeeRuleSetPayload,
  VeeRuleSetType,
  SetVeeRuleSetInput,
} from './vee.type.js';

@Resolver(() => VeeRuleSetType)
export class VeeRuleSetResolver extends NodeResolver<VeeRuleSet>(VeeRuleSetType, 'VeeRuleSet') {
  @Query(() => VeeRuleSetConnection, { description: "VEE rule sets in the caller's scope." })
  veeRuleSets(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => VeeRuleSetFilter, { nullable: true }) filter?: VeeRuleSetFilter,
  ) {
    return listVeeRuleSets(ctx, filter, page);
  }

  @Query(() => EffectiveVeeParamsType, { description: 'The VEE parameters and rules that apply to a meter.' })
  veeParametersFor(@Ctx() ctx: Context, @Arg('meterId', () => ID) meterId: string) {
    return veeParametersFor(ctx, meterId);
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  orgUnit(@Root() set: VeeRuleSet, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(set.orgUnit.id);
  }

  @FieldResolver(() => VeeParamsType, { description: 'The parameters, defaults filled in.' })
  params(@Root() set: VeeRuleSet) {
    return paramsOf(set);
  }

  @Mutation(() => VeeRuleSetPayload, { description: 'Create a VEE rule set, or change one (with id).' })
  async setVeeRuleSet(@Ctx() ctx: Context, @Arg('input', () => SetVeeRuleSetInput) input: SetVeeRuleSetInput) {
    return { veeRuleSet: await setVeeRuleSet(ctx, input) };
  }

  @Mutation(() => DeleteVeeRuleSetPayload, { description: 'Delete a VEE rule set; its meters follow the next one up.' })
  async deleteVeeRuleSet(@Ctx() ctx: Context, @Arg('input', () => DeleteVeeRuleSetInput) input: DeleteVeeRuleSetInput) {
    return { deletedId: await deleteVeeRuleSet(ctx, input) };
  }

  @Mutation(() => ValidateReadingsPayload, {
    description:
      "Apply the VEE rules to the daily values of the meters under a unit and store each value's failed rules and quality (SUSPECT, BAD for a register decrease). Idempotent.",
  })
  validateReadings(@Ctx() ctx: Context, @Arg('input', () => VeeRangeInput) input: VeeRangeInput) {
    return validateReadings(ctx, input);
  }

  @Mutation(() => EstimateReadingsPayload, {
    description:
      'Estimate the missing daily values of the meters under a unit where re-collection failed (source ESTIMATED). Never over an existing value.',
  })
  estimateReadings(@Ctx() ctx: Context, @Arg('input', () => VeeRangeInput) input: VeeRangeInput) {
    return estimateReadings(ctx, input);
  }

  @Mutation(() => ReadingPayload, {
    description:
      'Change a reading by hand, with a reason. The value it had is kept as a version; the reading becomes EDITED.',
  })
  async editReading(@Ctx() ctx: Context, @Arg('input', () => EditReadingInput) input: EditReadingInput) {
    return { reading: await editReading(ctx, input) };
  }
}

@Resolver(() => ReadingType)
export class ReadingVeeFieldResolver {
  @FieldResolver(() => [VeeRule], {
    description: 'The rules the value failed (ROLLOVER is informational).',
  })
  failedRules(@Root() reading: Reading): VeeRuleName[] {
    return rulesOf(reading.flags);
  }

  // The reading itself was loaded through the caller's read rule: its versions come with it.
  @FieldResolver(() => [ReadingVersionType], { description: 'Earlier values, oldest first (version 1 is the first).' })
  versions(@Root() reading: Reading, @Ctx() ctx: Context) {
    return ctx.loaders.readingVersions.load(reading.id);
  }
}

@Resolver(() => ReadingVersionType)
export class ReadingVersionResolver {
  @FieldResolver(() => [VeeRule])
  failedRules(@Root() version: ReadingVersion): VeeRuleName[] {
    return rulesOf(version.flags);
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'Who replaced the value; null for collection.' })
  changedBy(@Root() version: ReadingVersion, @Ctx() ctx: Context) {
    return version.changedBy ? ctx.loaders.user.load(version.changedBy.id) : null;
  }
}
